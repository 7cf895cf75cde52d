// The strings test/api/net.test.ts reads both with src/api/net.ts and with Go's netip (main.go here):
// hand-picked corner cases, addresses and prefixes written in every form netip might accept, and
// seeded random edits of those, so that the same corpus comes out on every run.
import { integer, pick, random, type Random } from '../random.ts';

/** The corner cases where readers of IP text are known to disagree. */
export const TRICKY = [
  // Empty, blank, stray characters.
  '', ' ', '.', ':', '::', ':::', '%', '/', '::/', '/0', '::%', '::%/0', ' ::1', '::1 ', '1.2.3.4 ', '\t1.2.3.4',
  // IPv4: field count, range, leading zeros, signs, other digit forms.
  '0.0.0.0', '255.255.255.255', '256.0.0.0', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.', '.1.2.3', '01.2.3.4', '1.2.3.00',
  '1.2.3.0', '00.0.0.0', '+1.2.3.4', '1.2.3.-4', '0x1.2.3.4', '1.2.3.4e0', '１.2.3.4', '١.2.3.4', '1.2.3.4%eth0', '1.2.3.4%',
  // IPv6: group count, group width, where "::" stands and how much it must stand for.
  '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8',
  '1::2:3:4:5:6:7:8', '::1:2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', '1::2::3', '1:::2', ':1::', '1::2:', ':1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:', '00000::', '0000::', '12345::', 'fFfF::', 'g::', '::-1', '::+1', '[::1]', '1:2:3:4:5:6:7:8%', 'fe80:::1',
  // IPv4 embedded in IPv6: where it may stand, and the IPv4 rules inside it.
  '::1.2.3.4', '::ffff:1.2.3.4', '::FFFF:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:1.2.3.4',
  '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '::1.2.3.4:1', '1.2.3.4::', '::1.2.3', '::1.2.3.4.5', '::01.2.3.4', '::256.2.3.4',
  '::ffff:1.2.3.4%eth0', '::1.2.3.4%', '1.2.3.4:1::', '::ffff:0.0.0.0', '::ffff:0:0', '::ffff:102:304', '::fffe:1.2.3.4',
  // Zones: what may follow '%', and where.
  'fe80::1%eth0', 'fe80::1%', 'fe80::1%%', 'fe80::1%a%b', 'fe80::1%a b', 'fe80::1%é', 'fe80::1%1', 'fe80::1%/', '%eth0', '1%eth0',
  'fe80::1%eth0/64', 'fe80::1%/64', 'fe80::%a/b/64',
  // Prefix lengths: range, signs, leading zeros, other number forms.
  '1.2.3.4/0', '1.2.3.4/32', '1.2.3.4/33', '1.2.3.4/08', '1.2.3.4/00', '1.2.3.4/+8', '1.2.3.4/-0', '1.2.3.4/ 8', '1.2.3.4/8 ',
  '1.2.3.4/0x8', '1.2.3.4/8.0', '1.2.3.4/1e1', '1.2.3.4/', '1.2.3.4//8', '1.2.3.4/8/8', '1.2.3.4/99999999999999999999', '1.2.3.4/٨',
  '::/0', '::/128', '::/129', '::1/00', '::1/0128', '::ffff:1.2.3.4/96', '::ffff:1.2.3.4/120', '::ffff:1.2.3.4/32', '::ffff:1.2.3.4/80',
  '::ffff:1.2.3.4/129', '::ffff:1.2.3.4/24', '/8', '1.2.3/8', '10.0.0.0/8', 'fd00::1/8', '2001:db8::1/32',
];

const ZONES = ['eth0', '1', 'a.b', 'x y', '%', 'é'];

/** A byte biased to the values at the edges, where off-by-one rules bite. */
const byte = (next: Random): number => pick(next, [0, 0, 0, 1, 255, integer(next, 256), integer(next, 256)]);

function ipv4(next: Random): string {
  return Array.from({ length: 4 }, () => String(byte(next))).join('.');
}

/** Eight groups, often with runs of zeros for "::" to stand for. */
function groups(next: Random): number[] {
  const values = Array.from({ length: 8 }, () => (byte(next) << 8) | byte(next));
  const zeros = integer(next, 9);
  const start = integer(next, 9 - zeros);
  values.fill(0, start, start + zeros);
  return values;
}

/** A group in hex, at times padded with zeros or in upper case. */
function hexGroup(next: Random, value: number): string {
  const text = value.toString(16).padStart(next() < 0.2 ? 4 : 1, '0');
  return next() < 0.2 ? text.toUpperCase() : text;
}

/** IPv6 text: any run of groups (not only the longest, and at times none) may become "::", the last two may be an IPv4 address. */
function ipv6(next: Random): string {
  const values = groups(next);
  const texts = values.map((value) => hexGroup(next, value));
  if (next() < 0.25) texts.splice(6, 2, [values[6]! >> 8, values[6]! & 0xff, values[7]! >> 8, values[7]! & 0xff].join('.'));
  const start = integer(next, texts.length + 1);
  const end = start + integer(next, texts.length - start + 1);
  const text = next() < 0.3 ? texts.join(':') : `${texts.slice(0, start).join(':')}::${texts.slice(end).join(':')}`;
  return next() < 0.1 ? `${text}%${pick(next, ZONES)}` : text;
}

function address(next: Random): string {
  return next() < 0.4 ? ipv4(next) : ipv6(next);
}

function prefix(next: Random): string {
  const text = address(next);
  const bits = text.includes(':') ? 128 : 32;
  const length = pick(next, [0, bits, bits + 1, integer(next, bits + 1), integer(next, bits + 1)]);
  return `${text}/${length}`;
}

/** What an edit may insert: the characters of IP text, the ones around it, and digits of other scripts. */
const ALPHABET = [...'0123456789abcdefABCDEFgxX:.%/+- \t_[]', '::', '.0', ':0', '０', '٣', 'é'];

const EDITS: ((next: Random, text: string, at: number) => string)[] = [
  (next, text, at) => text.slice(0, at) + pick(next, ALPHABET) + text.slice(at),
  (_, text, at) => text.slice(0, at) + text.slice(at + 1),
  (next, text, at) => text.slice(0, at) + pick(next, ALPHABET) + text.slice(at + 1),
  (next, text, at) => text.slice(0, at) + text.slice(at, at + 1 + integer(next, 4)) + text.slice(at),
  (next, text, at) => text.slice(0, at) + text.slice(at + 1 + integer(next, 4)),
];

/** One to three random edits of `text`. */
function mutate(next: Random, text: string): string {
  let edited = text;
  for (let count = 1 + integer(next, 3); count > 0; count--) edited = pick(next, EDITS)(next, edited, integer(next, edited.length + 1));
  return edited;
}

/**
 * The corpus: the tricky cases, each also edited, then generated addresses and prefixes, as they are or
 * edited, until there are `size` more than the tricky cases; no repeats, and no newline, which ends a
 * line for the oracle.
 */
export function corpus(size: number, seed = 1): string[] {
  const next = random(seed);
  const cases = new Set([...TRICKY, ...TRICKY.map((text) => mutate(next, text))]);
  while (cases.size < TRICKY.length + size) {
    const text = next() < 0.5 ? address(next) : prefix(next);
    cases.add(next() < 0.4 ? text : mutate(next, text));
  }
  return [...cases];
}
