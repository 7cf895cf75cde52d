// CEL as the API server evaluates the CRDs' x-kubernetes-validations, for offline checks:
// @marcbachmann/cel-js (macros, strings, matches) with the Kubernetes CIDR library
// (k8s.io/apiserver/pkg/cel/library/cidr.go) registered on it, on net.ts, which reads IP text as Go's net/netip does.
import { Environment } from '@marcbachmann/cel-js';
import { containsAddr, is4In6, masked, overlaps, parseAddr, parsePrefix, samePrefix, type Addr, type Prefix } from './net.ts';

/** A value of CEL type net.CIDR, as cidr() returns it. */
export class CIDR {
  readonly prefix: Prefix;

  constructor(prefix: Prefix) {
    this.prefix = prefix;
  }
}

/** cidr(): like the library's parseCIDR, refuses IPv4-mapped IPv6 addresses; keeps host bits. */
export function parseCIDR(text: string): CIDR {
  const prefix = parsePrefix(text);
  if (is4In6(prefix.addr)) throw new Error(`IPv4-mapped IPv6 address "${text}" is not allowed`);
  return new CIDR(prefix);
}

/** The IP library's parseIPAddr, which containsIP(string) uses: no zone, no IPv4-mapped IPv6 address. */
function parseIP(text: string): Addr {
  const addr = parseAddr(text);
  if (addr.zone !== '') throw new Error(`IP address "${text}" with zone value is not allowed`);
  if (is4In6(addr)) throw new Error(`IPv4-mapped IPv6 address "${text}" is not allowed`);
  return addr;
}

function isCIDR(text: string): boolean {
  try {
    parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

/** containsCIDR: `other` overlaps and is no wider; a CIDR contains itself. */
function containsCIDR(cidr: CIDR, other: CIDR): boolean {
  return overlaps(cidr.prefix, other.prefix) && cidr.prefix.bits <= other.prefix.bits;
}

const environment = new Environment()
  .registerType('net.CIDR', CIDR)
  .registerVariable('self', 'dyn')
  .registerFunction('isCIDR(string): bool', isCIDR)
  .registerFunction('cidr(string): net.CIDR', parseCIDR)
  .registerFunction('net.CIDR.containsIP(string): bool', (cidr: CIDR, ip: string) => containsAddr(cidr.prefix, parseIP(ip)))
  .registerFunction('net.CIDR.containsCIDR(string): bool', (cidr: CIDR, other: string) => containsCIDR(cidr, parseCIDR(other)))
  .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', containsCIDR)
  .registerFunction('net.CIDR.masked(): net.CIDR', (cidr: CIDR) => new CIDR(masked(cidr.prefix)))
  .registerFunction('net.CIDR.prefixLength(): int', (cidr: CIDR) => BigInt(cidr.prefix.bits))
  .registerOperator('net.CIDR == net.CIDR', (a: CIDR, b: CIDR) => samePrefix(a.prefix, b.prefix));

/** A compiled rule: true when `self` satisfies it; throws when evaluating it fails, as a rule with an error fails on the API server. */
export type Rule = (self: unknown) => boolean;

/** Compiles a CEL expression over `self`; throws if it does not parse or uses a function this library lacks. */
export function compileRule(expression: string): Rule {
  const compiled = environment.parse(expression);
  const checked = compiled.check();
  if (!checked.valid) throw new Error(`${expression}: ${checked.error?.message ?? 'does not type-check'}`);
  return (self) => {
    const result: unknown = compiled({ self });
    if (typeof result !== 'boolean') throw new Error(`${expression}: evaluates to ${typeof result}, not bool`);
    return result;
  };
}
