// NetworkPolicies compiled once for many questions: policyTypes defaulted as the API server does,
// each rule's peers and ports kept with the position they were written at, for explanations.
import { contains, parseCidr, type AddressRange } from './addresses.ts';
import { PROTOCOLS, type Protocol } from './ports.ts';
import type { Direction, NetworkPolicySource, PolicyPeer, PolicyPort, PolicyRef } from './types.ts';


export type CompiledPeer =
  | { index: number; kind: 'pods'; namespaceSelector?: PolicyPeer['namespaceSelector']; podSelector?: PolicyPeer['podSelector'] }
  | { index: number; kind: 'addresses'; cidr: AddressRange; except: AddressRange[] };

export interface CompiledPort {
  protocol: Protocol;
  /** A number, a name (resolved against the destination pod) or undefined: every port of the protocol. */
  port?: number | string;
  endPort?: number;
}

export interface CompiledRule {
  index: number;
  /** undefined: every peer (the rule lists none). */
  peers?: CompiledPeer[];
  /** undefined: every port. */
  ports?: CompiledPort[];
}

export interface CompiledPolicy {
  source: NetworkPolicySource;
  ref: PolicyRef;
  /** The directions it isolates its pods in, with the rules that allow (empty: it allows nothing). */
  rules: Partial<Record<Direction, CompiledRule[]>>;
}

/**
 * The API server defaults an unset policyTypes to Ingress, plus Egress when the egress list is
 * not empty: `egress: []` alone isolates nothing.
 */
export function policyTypesOf(policy: NetworkPolicySource): Direction[] {
  const written = policy.spec.policyTypes;
  if (!written || written.length === 0) return ['Ingress', ...(policy.spec.egress?.length ? ['Egress' as const] : [])];
  const unknown = written.find((type) => type !== 'Ingress' && type !== 'Egress');
  if (unknown !== undefined) throw new Error(`NetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name} spec.policyTypes: ${unknown} is not Ingress or Egress`);
  return written as Direction[];
}

/** A peer as the API server validates it: one of ipBlock or selectors, every except inside and narrower than cidr. */
function compilePeer(peer: PolicyPeer, index: number, where: string): CompiledPeer {
  const selectors = Boolean(peer.podSelector || peer.namespaceSelector);
  if (!peer.ipBlock && !selectors) throw new Error(`${where}: a peer needs podSelector, namespaceSelector or ipBlock`);
  if (peer.ipBlock) {
    if (selectors) throw new Error(`${where}: ipBlock cannot be combined with podSelector or namespaceSelector`);
    const cidr = parseCidr(peer.ipBlock.cidr);
    if (!cidr) throw new Error(`${where}.ipBlock.cidr: not a CIDR: ${peer.ipBlock.cidr}`);
    const except = (peer.ipBlock.except ?? []).map((text, i) => {
      const range = parseCidr(text);
      if (!range) throw new Error(`${where}.ipBlock.except[${i}]: not a CIDR: ${text}`);
      if (!contains(cidr, range) || (range.first === cidr.first && range.last === cidr.last)) {
        throw new Error(`${where}.ipBlock.except[${i}]: ${text} must lie inside cidr ${peer.ipBlock!.cidr} and be narrower than it`);
      }
      return range;
    });
    return { index, kind: 'addresses', cidr, except };
  }
  return { index, kind: 'pods', namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector };
}

function compilePort(port: PolicyPort, where: string): CompiledPort {
  const protocol = (port.protocol ?? 'TCP') as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw new Error(`${where}.protocol: ${port.protocol} is not TCP, UDP or SCTP`);
  return { protocol, ...(port.port !== undefined && port.port !== null ? { port: port.port } : {}), ...(port.endPort ? { endPort: port.endPort } : {}) };
}

const listed = <T>(list: T[] | null | undefined): T[] | undefined => (list && list.length > 0 ? list : undefined);

export function compilePolicy(source: NetworkPolicySource): CompiledPolicy {
  const ref = { namespace: source.metadata.namespace, name: source.metadata.name };
  const rules: CompiledPolicy['rules'] = {};
  for (const direction of policyTypesOf(source)) {
    const field = direction === 'Ingress' ? 'ingress' : 'egress';
    const written = (direction === 'Ingress' ? source.spec.ingress : source.spec.egress) ?? [];
    rules[direction] = written.map((rule, index) => {
      const where = `NetworkPolicy ${ref.namespace}/${ref.name} spec.${field}[${index}]`;
      const peers = listed(direction === 'Ingress' ? (rule as { from?: PolicyPeer[] | null }).from : (rule as { to?: PolicyPeer[] | null }).to);
      const ports = listed(rule.ports);
      return {
        index,
        ...(peers ? { peers: peers.map((peer, i) => compilePeer(peer, i, `${where}.${direction === 'Ingress' ? 'from' : 'to'}[${i}]`)) } : {}),
        ...(ports ? { ports: ports.map((port, i) => compilePort(port, `${where}.ports[${i}]`)) } : {}),
      };
    });
  }
  return { source, ref, rules };
}
