// IP addresses and CIDRs as numbers, so that ranges can be compared, cut and merged: what ipBlock
// peers and the external world of a connectivity map need. IPv4 and IPv6 never mix.
import { isIP } from 'node:net';

export type Family = 4 | 6;

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  family: Family;
  first: bigint;
  last: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(text: string): bigint {
  // An IPv4 tail (::ffff:10.0.0.1) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const body = tail ? text.slice(0, -tail[1]!.length) + ((ipv4Value(tail[1]!) >> 16n).toString(16) + ':' + (ipv4Value(tail[1]!) & 0xffffn).toString(16)) : text;
  const [head = '', rest] = body.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const known = [...groups(head), ...(rest === undefined ? [] : new Array<string>(8 - groups(head).length - groups(rest).length).fill('0')), ...groups(rest ?? '')];
  return known.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** An address as a one-address range; undefined when `text` is not an IP address. */
export function parseAddress(text: string): AddressRange | undefined {
  const version = isIP(text);
  if (version === 0) return undefined;
  const value = version === 4 ? ipv4Value(text) : ipv6Value(text);
  return { family: version as Family, first: value, last: value };
}

/** The addresses of a CIDR (host bits ignored, as NetworkPolicy does); undefined when it is not one. */
export function parseCidr(text: string): AddressRange | undefined {
  const [address = '', prefixText = '', extra] = text.split('/');
  const parsed = parseAddress(address);
  if (!parsed || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const bits = BITS[parsed.family];
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return { family: parsed.family, first: parsed.first & ~hostMask, last: (parsed.first & ~hostMask) | hostMask };
}

export const contains = (outer: AddressRange, inner: AddressRange) =>
  outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;

function formatValue(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // The longest run of zero groups becomes ::, as RFC 5952 writes it.
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (groups[start + length] === '0') length++;
    if (length > best.length) best = { start, length };
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** The fewest CIDRs that cover exactly `range`. */
export function cidrsOf(range: AddressRange): string[] {
  const bits = BITS[range.family];
  const out: string[] = [];
  let first = range.first;
  while (first <= range.last) {
    let size = 0;
    while (size < bits && (first & ((1n << BigInt(size + 1)) - 1n)) === 0n && first + (1n << BigInt(size + 1)) - 1n <= range.last) size++;
    out.push(`${formatValue(range.family, first)}/${bits - size}`);
    first += 1n << BigInt(size);
  }
  return out;
}

/** Every address of a family. */
export const everyAddress = (family: Family): AddressRange => ({ family, first: 0n, last: (1n << BigInt(BITS[family])) - 1n });
