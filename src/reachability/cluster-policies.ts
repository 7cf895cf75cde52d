// ClusterNetworkPolicies compiled once for many questions, and checked as the API server's schema
// checks them (network-policy-api v0.3.0, standard channel) wherever the answers rely on it: a
// namespaces selector becomes a pods selector of every pod, protocols become one set of ports, and
// each rule and peer keeps the position it was written at, for explanations.
import { is4In6, masked, parsePrefix, samePrefix, type Prefix } from '../api/net.ts';
import type { LabelSelector } from '../kubernetes/objects.ts';
import { clusterNetworkPolicies } from '../kubernetes/resources.ts';
import { errorMessage } from '../runtime/errors.ts';
import { parseCidr, type AddressRange } from './addresses.ts';
import { ALL_PORTS, MAX_PORT, NO_PORTS, portsOf, union, type PortSet, type Protocol } from './ports.ts';
import type {
  ClusterAction, ClusterNetworkPolicySource, ClusterPolicyPeerSource, ClusterPolicyPortSource, ClusterPolicyProtocolSource,
  ClusterTier, Direction, NamespacedPodsSource,
} from './types.ts';

/** The versions read: v1alpha2 and v1beta1 have the same schema. */
export const isClusterPolicyVersion = (apiVersion: string) =>
  clusterNetworkPolicies.versions.some((version) => apiVersion === `${clusterNetworkPolicies.group}/${version}`);

/** The pods of the namespaces that namespaceSelector selects that podSelector selects. */
export interface PodSelection {
  namespaceSelector: LabelSelector;
  podSelector: LabelSelector;
}

export type CompiledClusterPeer =
  | ({ index: number; kind: 'pods' } & PodSelection)
  | { index: number; kind: 'networks'; networks: AddressRange[] };

export interface CompiledClusterRule {
  index: number;
  name?: string;
  action: ClusterAction;
  peers: CompiledClusterPeer[];
  /** The connections it applies to: all of them where it lists no protocols. */
  ports: PortSet;
}

export interface CompiledClusterPolicy {
  source: ClusterNetworkPolicySource;
  name: string;
  tier: ClusterTier;
  priority: number;
  subject: PodSelection;
  /** Empty for a direction it has no rules for: it does not affect that direction. */
  rules: Record<Direction, CompiledClusterRule[]>;
}

const TIERS: readonly ClusterTier[] = ['Admin', 'Baseline'];
const ACTIONS: readonly ClusterAction[] = ['Accept', 'Deny', 'Pass'];
const PROTOCOL_FIELDS: Record<'tcp' | 'udp' | 'sctp', Protocol> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

const present = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

/** A value as an error message shows it: "admin", 1001, or missing. */
const shown = (value: unknown) => (present(value) ? JSON.stringify(value) : 'missing');

/** The one field of `fields` that `object` sets: the schema's minProperties and maxProperties of 1. */
function oneOf<Field extends string>(object: Partial<Record<Field, unknown>> | null | undefined, fields: readonly Field[], where: string): Field {
  const set = fields.filter((field) => present(object?.[field]));
  if (set.length !== 1) {
    const names = `${fields.slice(0, -1).join(', ')} or ${fields.at(-1)}`;
    throw new Error(`${where}: needs exactly one of ${names}${set.length > 1 ? ` (it has ${set.join(' and ')})` : ''}`);
  }
  return set[0]!;
}

function compileSelection(pods: NamespacedPodsSource, where: string): PodSelection {
  const { namespaceSelector, podSelector } = pods;
  if (!present(podSelector)) throw new Error(`${where}.podSelector: required`);
  // The Go type's namespaceSelector is a value, not a pointer: left out, it is empty and selects every namespace.
  return { namespaceSelector: namespaceSelector ?? {}, podSelector };
}

function prefixOf(text: string, where: string): Prefix {
  try {
    return parsePrefix(text);
  } catch (error) {
    throw new Error(`${where}: ${errorMessage(error)}`, { cause: error });
  }
}

/** A CIDR as the schema's isCIDR(self) && cidr(self) == cidr(self).masked() takes it. */
function compileNetwork(text: string, where: string): AddressRange {
  const prefix = prefixOf(text, where);
  if (is4In6(prefix.addr)) throw new Error(`${where}: "${text}" is an IPv4-mapped IPv6 address, which a CIDR may not be`);
  if (!samePrefix(prefix, masked(prefix))) throw new Error(`${where}: "${text}" must have no bits set past the prefix length`);
  return parseCidr(text)!;
}

function compilePeer(peer: ClusterPolicyPeerSource, direction: Direction, index: number, where: string): CompiledClusterPeer {
  // The ingress peer has no networks field: a source outside the pods is none a ClusterNetworkPolicy can name.
  if (direction === 'Ingress' && present(peer.networks)) throw new Error(`${where}.networks: egress peers alone name networks`);
  const field = oneOf(peer, direction === 'Ingress' ? ['namespaces', 'pods'] : ['namespaces', 'pods', 'networks'], where);
  if (field === 'namespaces') return { index, kind: 'pods', namespaceSelector: peer.namespaces!, podSelector: {} };
  if (field === 'pods') return { index, kind: 'pods', ...compileSelection(peer.pods!, `${where}.pods`) };
  if (peer.networks!.length === 0) throw new Error(`${where}.networks: needs at least one CIDR`);
  return { index, kind: 'networks', networks: peer.networks!.map((text, i) => compileNetwork(text, `${where}.networks[${i}]`)) };
}

function portNumber(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PORT) throw new Error(`${where}: must be a port from 1 to ${MAX_PORT} (it is ${shown(value)})`);
  return value as number;
}

function compileDestination(port: ClusterPolicyPortSource | null | undefined, protocol: Protocol, where: string): PortSet {
  if (oneOf(port, ['number', 'range'], where) === 'number') return portsOf(protocol, portNumber(port!.number, `${where}.number`));
  const start = portNumber(port!.range!.start, `${where}.range.start`);
  const end = portNumber(port!.range!.end, `${where}.range.end`);
  if (start >= end) throw new Error(`${where}.range: start ${start} must be less than end ${end}`);
  return portsOf(protocol, start, end);
}

function compileProtocol(entry: ClusterPolicyProtocolSource, where: string): PortSet {
  const field = oneOf(entry, ['tcp', 'udp', 'sctp'], where);
  return compileDestination(entry[field]!.destinationPort, PROTOCOL_FIELDS[field], `${where}.${field}.destinationPort`);
}

type RuleSource = NonNullable<ClusterNetworkPolicySource['spec']['ingress']>[number] & { to?: ClusterPolicyPeerSource[] | null };

function compileRule(rule: RuleSource, direction: Direction, index: number, where: string): CompiledClusterRule {
  if (!ACTIONS.includes(rule.action as ClusterAction)) throw new Error(`${where}.action: must be Accept, Deny or Pass (it is ${shown(rule.action)})`);
  const peersField = direction === 'Ingress' ? 'from' : 'to';
  const peers = (direction === 'Ingress' ? rule.from : rule.to) ?? [];
  if (peers.length === 0) throw new Error(`${where}.${peersField}: a rule needs at least one peer`);
  if (rule.protocols?.length === 0) throw new Error(`${where}.protocols: needs at least one entry where it is given`);
  return {
    index,
    ...(rule.name ? { name: rule.name } : {}),
    action: rule.action as ClusterAction,
    peers: peers.map((peer, i) => compilePeer(peer, direction, i, `${where}.${peersField}[${i}]`)),
    ports: rule.protocols ? union(NO_PORTS, ...rule.protocols.map((entry, i) => compileProtocol(entry, `${where}.protocols[${i}]`))) : ALL_PORTS,
  };
}

function compileSubject(subject: ClusterNetworkPolicySource['spec']['subject'], where: string): PodSelection {
  const field = oneOf(subject, ['namespaces', 'pods'], where);
  return field === 'namespaces' ? { namespaceSelector: subject!.namespaces!, podSelector: {} } : compileSelection(subject!.pods!, `${where}.pods`);
}

/** The policy compiled; throws a message naming the policy and field the API server would refuse. */
export function compileClusterPolicy(source: ClusterNetworkPolicySource): CompiledClusterPolicy {
  const { name } = source.metadata;
  const where = `ClusterNetworkPolicy ${name} spec`;
  const spec = source.spec ?? {};
  if (!TIERS.includes(spec.tier as ClusterTier)) throw new Error(`${where}.tier: must be Admin or Baseline (it is ${shown(spec.tier)})`);
  const { priority } = spec;
  if (!Number.isInteger(priority) || priority! < 0 || priority! > 1000) throw new Error(`${where}.priority: must be a whole number from 0 to 1000 (it is ${shown(priority)})`);
  const rulesOf = (direction: Direction, field: 'ingress' | 'egress') =>
    (spec[field] ?? []).map((rule, index) => compileRule(rule, direction, index, `${where}.${field}[${index}]`));
  return {
    source, name, tier: spec.tier as ClusterTier, priority: priority!,
    subject: compileSubject(spec.subject, `${where}.subject`),
    rules: { Ingress: rulesOf('Ingress', 'ingress'), Egress: rulesOf('Egress', 'egress') },
  };
}
