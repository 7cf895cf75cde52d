// ClusterNetworkPolicy's Admin and Baseline tiers for one pod, one direction and the other end:
// the tier's policies that select the pod in (priority, name) order, each one's rules in the order
// written, and the first rule whose peer matches the other end and whose protocols hold the
// connection decides: Accept, Deny, or Pass to the next tier.
import { matchesSelector } from '../kubernetes/selectors.ts';
import { contains, parseAddress } from './addresses.ts';
import type { CompiledClusterPeer, CompiledClusterPolicy, CompiledClusterRule } from './cluster-policies.ts';
import { ALL_PORTS, hasPort, intersect, isEmpty, NO_PORTS, subtract, union, type PortSet } from './ports.ts';
import type { ClusterRuleRef, ClusterTier, Connection, Direction, Endpoint, TierStep, Workload } from './types.ts';
import type { CompiledWorld } from './world.ts';

/**
 * A rule that matches the other end ('yes'), or might but for the other pod's IP, which is not
 * known ('unknown': a networks peer); `ports`: the connections it applies to.
 */
export interface ClusterRuleMatch {
  ref: ClusterRuleRef;
  match: 'yes' | 'unknown';
  ports: PortSet;
}

export interface TierMatches {
  /** The tier's policies that select the pod for the direction, in the order they are evaluated. */
  policies: readonly CompiledClusterPolicy[];
  /** Their rules that match the other end, in the order they are evaluated. */
  matches: ClusterRuleMatch[];
}

/** Every address of a pod, or of a workload's pods; none where they are not known (manifests). */
const addressesOf = (workload: Workload) => workload.podIPs ?? (workload.ip ? [workload.ip] : []);

function peerMatches(world: CompiledWorld, peer: CompiledClusterPeer, other: Endpoint): 'yes' | 'no' | 'unknown' {
  if (peer.kind === 'pods') {
    // Pods alone: an address outside them is in no namespace.
    if (!('workload' in other)) return 'no';
    const { namespace, labels } = other.workload;
    return matchesSelector(peer.namespaceSelector, world.namespaceLabels(namespace)) && matchesSelector(peer.podSelector, labels) ? 'yes' : 'no';
  }
  // Unlike an ipBlock, a networks CIDR matches a pod's address as surely as any other.
  const addresses = 'ip' in other ? [other.ip] : addressesOf(other.workload);
  if (addresses.length === 0) return 'unknown';
  const inNetworks = (text: string) => {
    const address = parseAddress(text);
    return address !== undefined && peer.networks.some((network) => contains(network, address));
  };
  return addresses.some(inNetworks) ? 'yes' : 'no';
}

function ruleMatch(world: CompiledWorld, policy: CompiledClusterPolicy, direction: Direction, rule: CompiledClusterRule, other: Endpoint): ClusterRuleMatch | undefined {
  const ref = (peer: number): ClusterRuleRef => {
    const origin = world.world.clusterOriginOf?.(policy.source, direction, rule.index, peer);
    return {
      policy: policy.name, tier: policy.tier, priority: policy.priority, direction, rule: rule.index,
      ...(rule.name ? { name: rule.name } : {}), action: rule.action, peer, ...(origin ? { origin } : {}),
    };
  };
  let unknown: ClusterRuleMatch | undefined;
  for (const peer of rule.peers) {
    const match = peerMatches(world, peer, other);
    if (match === 'yes') return { ref: ref(peer.index), match, ports: rule.ports };
    if (match === 'unknown') unknown ??= { ref: ref(peer.index), match, ports: rule.ports };
  }
  return unknown;
}

/** The rules of `tier` that match `other` for `workload` in `direction`. */
export function tierMatches(world: CompiledWorld, tier: ClusterTier, workload: Workload, direction: Direction, other: Endpoint): TierMatches {
  const policies = world.clusterSelecting(workload, tier, direction);
  const matches: ClusterRuleMatch[] = [];
  for (const policy of policies) {
    for (const rule of policy.rules[direction]) {
      const match = ruleMatch(world, policy, direction, rule, other);
      if (match) matches.push(match);
    }
  }
  return { policies, matches };
}

const OUTCOMES = { Accept: 'allowed', Deny: 'denied', Pass: 'pass' } as const;

/** What `tier` makes of `connection`; undefined where none of its policies selects the pod. */
export function tierStep(world: CompiledWorld, tier: ClusterTier, workload: Workload, direction: Direction, other: Endpoint, connection: Connection): TierStep | undefined {
  const { policies, matches } = tierMatches(world, tier, workload, direction, other);
  if (policies.length === 0) return undefined;
  const applying = matches.filter((match) => hasPort(match.ports, connection.protocol, connection.port));
  const first = applying.findIndex((match) => match.match === 'yes');
  const rule = applying[first]?.ref;
  const unknownAddress = (first < 0 ? applying : applying.slice(0, first)).filter((match) => match.match === 'unknown').map((match) => match.ref);
  return {
    tier, outcome: rule ? OUTCOMES[rule.action] : 'pass', policies: policies.map((policy) => policy.name),
    ...(rule ? { rule } : {}), ...(unknownAddress.length > 0 ? { unknownAddress } : {}),
  };
}

/**
 * What a tier makes of the connections `within`, the rules taken in order, each deciding what no
 * rule before it did: those it accepts, and those it passes on (by Pass, or as no rule matches).
 */
export function tierPorts({ matches }: TierMatches, within: PortSet = ALL_PORTS): { accepted: PortSet; passed: PortSet } {
  let undecided = within;
  let accepted = NO_PORTS;
  let passed = NO_PORTS;
  for (const match of matches) {
    if (isEmpty(undecided)) break;
    if (match.match !== 'yes') continue;
    const decided = intersect(undecided, match.ports);
    if (match.ref.action === 'Accept') accepted = union(accepted, decided);
    if (match.ref.action === 'Pass') passed = union(passed, decided);
    undecided = subtract(undecided, match.ports);
  }
  return { accepted, passed: union(passed, undecided) };
}
