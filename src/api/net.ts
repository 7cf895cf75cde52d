// IP addresses and prefixes read as Go's net/netip reads them (ParseAddr, ParsePrefix), since the API
// server's CEL CIDR library (k8s.io/apiserver/pkg/cel/library/cidr.go) is built on it: offline checks then
// accept the strings the API server accepts and no others. Node's isIPv4/isIPv6 judge the address text;
// the few rules where netip reads differently are added here, each found by test/api/net.test.ts, which
// compares this file with netip itself (harness/netip-oracle) over thousands of strings.
import { isIPv4, isIPv6 } from 'node:net';

export interface Addr {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  /** The IPv6 zone after '%', or ''. */
  zone: string;
}

export interface Prefix {
  addr: Addr;
  bits: number;
}

/** Decimal, no sign, and no leading zero (but "0" itself): netip reads no other prefix length. */
const PREFIX_LENGTH = /^(0|[1-9][0-9]*)$/;

/** The 4 bytes of IPv4 text that isIPv4 accepted. */
function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** The bytes of colon-separated groups, of which the last may be IPv4 text for two of them. */
function groupBytes(text: string): number[] {
  if (text === '') return [];
  return text.split(':').flatMap((group) => {
    if (group.includes('.')) return ipv4Bytes(group);
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** The 16 bytes of IPv6 text that isIPv6 accepted: "::", if there, stands for the groups not written. */
function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const before = groupBytes(head);
  const after = groupBytes(tail ?? '');
  return Uint8Array.from([...before, ...new Array<number>(16 - before.length - after.length).fill(0), ...after]);
}

/** The address `text` stands for (as netip.ParseAddr reads it), or why it stands for none. */
function readAddr(text: string): Addr | string {
  if (isIPv4(text)) return { bytes: Uint8Array.from(ipv4Bytes(text)), zone: '' };
  // netip's zone is everything after the first '%', any characters at all; Node's allows only [0-9A-Za-z.:-].
  const percent = text.indexOf('%');
  const address = percent < 0 ? text : text.slice(0, percent);
  const zone = percent < 0 ? '' : text.slice(percent + 1);
  if (!isIPv6(address)) return 'not an IP address';
  // Cutting the zone off above lost a rule Node and netip share: a '%' needs a zone after it.
  if (percent >= 0 && zone === '') return "not an IP address: no zone after '%'";
  return { bytes: ipv6Bytes(address), zone };
}

/** netip.ParseAddr: IPv4 text, or IPv6 text with an optional zone after '%'. */
export function parseAddr(text: string): Addr {
  const addr = readAddr(text);
  if (typeof addr === 'string') throw new Error(`"${text}" is ${addr}`);
  return addr;
}

/** netip.ParsePrefix: an address, '/', and a prefix length within the address's bits. Host bits may be set. */
export function parsePrefix(text: string): Prefix {
  const invalid = (reason: string) => new Error(`"${text}" is not a CIDR: ${reason}`);
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw invalid('missing "/" and prefix length');
  const addressText = text.slice(0, slash);
  const addr = readAddr(addressText);
  if (typeof addr === 'string') throw invalid(`"${addressText}" is ${addr}`);
  // netip.ParseAddr keeps a zone, but a prefix may not have one.
  if (addr.zone !== '') throw invalid('a zone is not allowed in a CIDR');
  const lengthText = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(lengthText)) throw invalid(`prefix length "${lengthText}" must be digits with no leading zero`);
  const bits = Number(lengthText);
  // A length netip does read, but past the end of the address.
  if (bits > addr.bytes.length * 8) throw invalid(`prefix length ${bits} is over ${addr.bytes.length * 8}`);
  return { addr, bits };
}

/** An IPv6 address of the form ::ffff:a.b.c.d, which the CIDR library refuses. */
export function is4In6(addr: Addr): boolean {
  return addr.bytes.length === 16 && addr.bytes.subarray(0, 10).every((byte) => byte === 0) && addr.bytes[10] === 0xff && addr.bytes[11] === 0xff;
}

/** The address with every bit past the first `bits` cleared. */
function maskAddr(addr: Addr, bits: number): Addr {
  const bytes = addr.bytes.map((byte, index) => {
    const kept = Math.min(8, Math.max(0, bits - index * 8));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
  return { bytes, zone: '' };
}

function sameAddr(a: Addr, b: Addr): boolean {
  return a.zone === b.zone && a.bytes.length === b.bytes.length && a.bytes.every((byte, index) => byte === b.bytes[index]);
}

/** Prefix.Masked: the canonical form of the prefix's network. */
export function masked(prefix: Prefix): Prefix {
  return { addr: maskAddr(prefix.addr, prefix.bits), bits: prefix.bits };
}

/** Prefix equality (==): the same address, host bits included, and the same length. */
export function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.bits === b.bits && sameAddr(a.addr, b.addr);
}

/** Prefix.Overlaps: the two have an address in common (never across families). */
export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.addr.bytes.length !== b.addr.bytes.length) return false;
  const bits = Math.min(a.bits, b.bits);
  return sameAddr(maskAddr(a.addr, bits), maskAddr(b.addr, bits));
}

/** Prefix.Contains: the address is in the prefix (never across families, never with a zone). */
export function containsAddr(prefix: Prefix, addr: Addr): boolean {
  return addr.zone === '' && prefix.addr.bytes.length === addr.bytes.length && sameAddr(maskAddr(prefix.addr, prefix.bits), maskAddr(addr, prefix.bits));
}
