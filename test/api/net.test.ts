// src/api/net.ts against Go's net/netip itself (harness/netip-oracle): every string of a seeded corpus must
// be accepted or refused as netip.ParseAddr and netip.ParsePrefix do, and read as the same address,
// prefix and masked prefix, compared in netip's canonical text. Needs Go on PATH, as CI has.
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { corpus } from '../../harness/netip-oracle/corpus.ts';
import { netip, type Reading, type Verdict } from '../../harness/netip-oracle/oracle.ts';
import { is4In6, masked, parseAddr, parsePrefix, type Addr, type Prefix } from '../../src/api/net.ts';

const CORPUS_SIZE = 20_000;

/** The first longest run of zero groups, where RFC 5952 puts "::" (at least two groups long to be used). */
function longestZeroRun(groups: string[]): { start: number; length: number } {
  let longest = { start: 0, length: 0 };
  for (let start = 0; start < groups.length; start++) {
    let length = 0;
    while (groups[start + length] === '0') length++;
    if (length > longest.length) longest = { start, length };
  }
  return longest;
}

/** Addr.String(): dotted IPv4; IPv6 as RFC 5952 writes it, with ::ffff:a.b.c.d for IPv4-mapped; then the zone. */
function formatAddr({ bytes, zone }: Addr): string {
  if (bytes.length === 4) return bytes.join('.');
  const zoneText = zone === '' ? '' : `%${zone}`;
  if (is4In6({ bytes, zone })) return `::ffff:${bytes.subarray(12).join('.')}${zoneText}`;
  const groups = Array.from({ length: 8 }, (_, index) => ((bytes[2 * index]! << 8) | bytes[2 * index + 1]!).toString(16));
  const { start, length } = longestZeroRun(groups);
  if (length < 2) return groups.join(':') + zoneText;
  return `${groups.slice(0, start).join(':')}::${groups.slice(start + length).join(':')}${zoneText}`;
}

const formatPrefix = ({ addr, bits }: Prefix): string => `${formatAddr(addr)}/${bits}`;

/** The verdict `read` gives, as the oracle writes one: refused when it throws. */
function verdict(read: () => Verdict): Verdict {
  try {
    return read();
  } catch {
    return { ok: false };
  }
}

/** How net.ts reads `text`, in the oracle's terms. */
function ours(text: string): Reading {
  return {
    addr: verdict(() => ({ ok: true, string: formatAddr(parseAddr(text)) })),
    prefix: verdict(() => {
      const prefix = parsePrefix(text);
      return { ok: true, string: formatPrefix(prefix), masked: formatPrefix(masked(prefix)) };
    }),
  };
}

describe('net.ts reads IP text as Go net/netip does', function () {
  let cases: string[];
  let readings: Reading[];
  before(function () {
    // A first build with an empty Go build cache compiles the standard library: about 15 s here.
    this.timeout(120_000);
    cases = corpus(CORPUS_SIZE);
    readings = netip(cases);
  });

  it('has a corpus of which netip accepts and refuses thousands, IPv4 and IPv6, with and without zones', function () {
    const count = (test: (text: string, reading: Reading) => boolean) => cases.filter((text, index) => test(text, readings[index]!)).length;
    expect(cases.length).to.be.at.least(CORPUS_SIZE);
    expect(count((text, { addr }) => addr.ok && text.includes('.') && !text.includes(':')), 'IPv4 addresses').to.be.at.least(1000);
    expect(count((text, { addr }) => addr.ok && text.includes(':')), 'IPv6 addresses').to.be.at.least(1000);
    expect(count((_, { addr }) => addr.string?.includes('%') ?? false), 'zoned addresses').to.be.at.least(100);
    expect(count((_, { prefix }) => prefix.ok), 'prefixes').to.be.at.least(1000);
    expect(count((_, { addr, prefix }) => !addr.ok && !prefix.ok), 'refused as both').to.be.at.least(5000);
  });

  it('accepts and refuses every string of the corpus as netip does, and reads the same address or prefix', function () {
    const differences = cases.flatMap((text, index) => {
      const theirs = readings[index];
      const mine = ours(text);
      return isDeepStrictEqual(mine, theirs) ? [] : [`${JSON.stringify(text)}\n  netip:  ${JSON.stringify(theirs)}\n  net.ts: ${JSON.stringify(mine)}`];
    });
    const shown = differences.slice(0, 20).join('\n');
    expect(differences.length, `${differences.length} of ${cases.length} strings read differently, such as\n${shown}\n`).to.equal(0);
  });
});
