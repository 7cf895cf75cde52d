// Whether one end may send to the other: ClusterNetworkPolicy's Admin tier first, then the full
// NetworkPolicy semantics (each pod isolated per direction by the policies that select it, the
// union of their rules, peers OR-ed and the selectors within a peer AND-ed, named ports resolved
// against the destination pod), then the Baseline tier where no NetworkPolicy isolates the pod.
import { matchesSelector } from '../kubernetes/selectors.ts';
import { contains, parseAddress } from './addresses.ts';
import { tierMatches, tierPorts, tierStep } from './cluster-tiers.ts';
import type { CompiledPeer, CompiledPolicy, CompiledPort, CompiledRule } from './policies.ts';
import { ALL_PORTS, hasPort, intersect, NO_PORTS, portsOf, PROTOCOLS, union, type PortSet } from './ports.ts';
import type { Connection, Decision, Direction, DirectionVerdict, Endpoint, RuleRef, TierStep, Verdict, Workload } from './types.ts';
import type { CompiledWorld } from './world.ts';

/**
 * A peer matches surely, not at all, or only as the implementation decides (a pod's IP in an
 * ipBlock); or not because an except entry cuts the address out of its ipBlock.
 */
type Match = 'yes' | 'no' | 'maybe' | 'excepted';

/** An address against an ipBlock: in it, cut out of it by an except, or not in it. */
function blockMatch(peer: Extract<CompiledPeer, { kind: 'addresses' }>, text: string): 'yes' | 'excepted' | 'no' {
  const address = parseAddress(text);
  if (!address || !contains(peer.cidr, address)) return 'no';
  return peer.except.some((cut) => contains(cut, address)) ? 'excepted' : 'yes';
}

function peerMatches(world: CompiledWorld, peer: CompiledPeer, policyNamespace: string, other: Endpoint): Match {
  if (peer.kind === 'addresses') {
    if ('ip' in other) return blockMatch(peer, other.ip);
    // A pod's own address in an ipBlock is the network plugin's call; so is one we do not know.
    const addresses = other.workload.ip ? [other.workload.ip] : other.workload.podIPs ?? [];
    if (addresses.length === 0) return 'maybe';
    const matches = addresses.map((address) => blockMatch(peer, address));
    return matches.includes('yes') ? 'maybe' : matches.includes('excepted') ? 'excepted' : 'no';
  }
  if (!('workload' in other)) return 'no';
  const { namespace, labels } = other.workload;
  const namespaceOk = peer.namespaceSelector
    ? matchesSelector(peer.namespaceSelector, world.namespaceLabels(namespace))
    : namespace === policyNamespace;
  return namespaceOk && matchesSelector(peer.podSelector ?? {}, labels) ? 'yes' : 'no';
}

/** The ports a rule's port entry opens on `destination`: a named port only where its pod has one. */
function portEntry(entry: CompiledPort, destination: Endpoint): PortSet {
  if (entry.port === undefined) return portsOf(entry.protocol, 1, 65535);
  if (typeof entry.port === 'number') return portsOf(entry.protocol, entry.port, entry.endPort ?? entry.port);
  const named = 'workload' in destination
    ? destination.workload.ports.filter(({ name, protocol }) => name === entry.port && protocol === entry.protocol)
    : [];
  return union(NO_PORTS, ...named.map(({ containerPort }) => portsOf(entry.protocol, containerPort)));
}

const rulePorts = (rule: CompiledRule, destination: Endpoint): PortSet =>
  (rule.ports ? union(NO_PORTS, ...rule.ports.map((entry) => portEntry(entry, destination))) : ALL_PORTS);

/** A rule that matches the other end (or would, but for an except), the peer it matched by and what it opens. */
export interface RuleMatch {
  ref: RuleRef;
  match: 'yes' | 'maybe' | 'excepted';
  ports: PortSet;
}

function ruleMatch(world: CompiledWorld, policy: CompiledPolicy, direction: Direction, rule: CompiledRule,
  other: Endpoint, destination: Endpoint): RuleMatch | undefined {
  const ports = rulePorts(rule, destination);
  const ref = (peer?: number): RuleRef => {
    const origin = world.world.originOf?.(policy.source, direction, rule.index, peer);
    return { policy: policy.ref, direction, rule: rule.index, ...(peer === undefined ? {} : { peer }), ...(origin ? { origin } : {}) };
  };
  if (!rule.peers) return { ref: ref(), match: 'yes', ports };
  // The strongest match wins: a sure one, else an undetermined one, else a cut-out one.
  let best: RuleMatch | undefined;
  for (const peer of rule.peers) {
    const match = peerMatches(world, peer, policy.ref.namespace, other);
    if (match === 'yes') return { ref: ref(peer.index), match, ports };
    if (match === 'maybe' || (match === 'excepted' && !best)) best = { ref: ref(peer.index), match, ports };
  }
  return best;
}

export interface DirectionPorts {
  isolatedBy: readonly CompiledPolicy[];
  matches: RuleMatch[];
  /** What the matching rules surely open (everything when nothing isolates). */
  allowed: PortSet;
  /** What they open only if the implementation counts a pod's IP in an ipBlock. */
  undetermined: PortSet;
}

/**
 * What the NetworkPolicies let `workload` through in `direction` with `other` (the destination
 * when it sends, the source when it receives); ports are those of the connection's destination.
 */
export function directionPorts(world: CompiledWorld, workload: Workload, direction: Direction, other: Endpoint): DirectionPorts {
  const isolatedBy = world.isolating(workload, direction);
  if (isolatedBy.length === 0) return { isolatedBy, matches: [], allowed: ALL_PORTS, undetermined: NO_PORTS };
  const destination = direction === 'Egress' ? other : { workload };
  const matches = isolatedBy.flatMap((policy) => (policy.rules[direction] ?? [])
    .flatMap((rule) => ruleMatch(world, policy, direction, rule, other, destination) ?? []));
  const sure = matches.filter((m) => m.match === 'yes');
  return {
    isolatedBy,
    matches,
    allowed: union(NO_PORTS, ...sure.map((m) => m.ports)),
    undetermined: union(NO_PORTS, ...matches.filter((m) => m.match === 'maybe').map((m) => m.ports)),
  };
}

/**
 * What the tiers let `workload` surely through in `direction` with `other`: what the Admin tier
 * accepts, and of what it passes, what the NetworkPolicies allow where they isolate the pod, else
 * what the Baseline tier does not deny.
 */
export function allowedPorts(world: CompiledWorld, workload: Workload, direction: Direction, other: Endpoint): PortSet {
  const policies = directionPorts(world, workload, direction, other);
  const isolated = policies.isolatedBy.length > 0;
  const admin = tierMatches(world, 'Admin', workload, direction, other);
  const baseline = isolated ? undefined : tierMatches(world, 'Baseline', workload, direction, other);
  // No ClusterNetworkPolicy has a say (the common case, and the map asks it of every pair): the NetworkPolicies' answer.
  if (admin.policies.length === 0 && !baseline?.policies.length) return policies.allowed;
  const { accepted, passed } = tierPorts(admin);
  if (!baseline) return union(accepted, intersect(passed, policies.allowed));
  const last = tierPorts(baseline, passed);
  return union(accepted, last.accepted, last.passed);
}

type PoliciesVerdict = Omit<DirectionVerdict, 'tiers'>;

/** The NetworkPolicies' part of a verdict where the Admin tier decided before them. */
const notConsulted = (direction: Direction, decision: Decision): PoliciesVerdict =>
  ({ direction, decision, isolatedBy: [], allowedBy: [], undeterminedBy: [], exceptedBy: [] });

function policiesVerdict(world: CompiledWorld, workload: Workload, direction: Direction, other: Endpoint, connection: Connection): PoliciesVerdict {
  const { isolatedBy, matches } = directionPorts(world, workload, direction, other);
  const opening = matches.filter((m) => hasPort(m.ports, connection.protocol, connection.port));
  const allowedBy = opening.filter((m) => m.match === 'yes').map((m) => m.ref);
  const undeterminedBy = opening.filter((m) => m.match === 'maybe').map((m) => m.ref);
  const exceptedBy = opening.filter((m) => m.match === 'excepted').map((m) => m.ref);
  const decision: Decision = isolatedBy.length === 0 || allowedBy.length > 0 ? 'allowed' : undeterminedBy.length > 0 ? 'undetermined' : 'denied';
  return {
    direction,
    decision,
    isolatedBy: isolatedBy.map((policy) => {
      const origin = world.world.originOf?.(policy.source, direction);
      return { policy: policy.ref, ...(origin ? { origin } : {}) };
    }),
    allowedBy,
    undeterminedBy,
    exceptedBy,
  };
}

/** One direction through the tiers: Admin, then NetworkPolicy, then (where no NetworkPolicy isolates the pod) Baseline. */
function verdictOf(world: CompiledWorld, workload: Workload, direction: Direction, other: Endpoint, connection: Connection): DirectionVerdict {
  const tiers: TierStep[] = [];
  const admin = tierStep(world, 'Admin', workload, direction, other, connection);
  if (admin) tiers.push(admin);
  if (admin && admin.outcome !== 'pass') return { ...notConsulted(direction, admin.outcome), tiers };
  const policies = policiesVerdict(world, workload, direction, other, connection);
  const isolated = policies.isolatedBy.length > 0;
  tiers.push({ tier: 'NetworkPolicy', outcome: isolated ? policies.decision : 'pass' });
  if (isolated) return { ...policies, tiers };
  const baseline = tierStep(world, 'Baseline', workload, direction, other, connection);
  if (baseline) tiers.push(baseline);
  return { ...policies, decision: baseline && baseline.outcome !== 'pass' ? baseline.outcome : 'allowed', tiers };
}

const samePod = (a: Workload, b: Workload) => a.kind === 'Pod' && b.kind === 'Pod' && a.namespace === b.namespace && a.name === b.name;

/** Denied if either side denies; else undetermined if either side is; else allowed. */
function combine(...decisions: Decision[]): Decision {
  if (decisions.includes('denied')) return 'denied';
  return decisions.includes('undetermined') ? 'undetermined' : 'allowed';
}

/** May `from` open `connection` to `to`? Each side's verdict says which policy and rule decided. */
export function canReach(world: CompiledWorld, from: Endpoint, to: Endpoint, connection: Connection): Verdict {
  if (!PROTOCOLS.includes(connection.protocol)) throw new Error(`protocol ${String(connection.protocol)} is not TCP, UDP or SCTP`);
  if ('workload' in from && 'workload' in to && samePod(from.workload, to.workload)) return { decision: 'allowed', self: true };
  const egress = 'workload' in from ? verdictOf(world, from.workload, 'Egress', to, connection) : undefined;
  const ingress = 'workload' in to ? verdictOf(world, to.workload, 'Ingress', from, connection) : undefined;
  return {
    decision: combine(egress?.decision ?? 'allowed', ingress?.decision ?? 'allowed'),
    ...(egress ? { egress } : {}),
    ...(ingress ? { ingress } : {}),
  };
}
