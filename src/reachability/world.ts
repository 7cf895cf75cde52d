// A world compiled for many questions: policies by namespace, namespace labels, which policies
// isolate each workload in each direction, and which ClusterNetworkPolicies of each tier select
// it, each computed once.
import { compareNames } from '../kubernetes/order.ts';
import { matchesSelector } from '../kubernetes/selectors.ts';
import { NAMESPACE_NAME_LABEL } from '../kubernetes/objects.ts';
import { compileClusterPolicy, type CompiledClusterPolicy } from './cluster-policies.ts';
import { compilePolicy, type CompiledPolicy } from './policies.ts';
import type { ClusterTier, Direction, World, Workload } from './types.ts';

export interface CompiledWorld {
  world: World;
  policies: readonly CompiledPolicy[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  /** The policies that isolate `workload` in `direction`: an empty list leaves it open. */
  isolating(workload: Workload, direction: Direction): readonly CompiledPolicy[];
  /** Every ClusterNetworkPolicy, in the order its tier evaluates it. */
  clusterPolicies: readonly CompiledClusterPolicy[];
  /** The ClusterNetworkPolicies of `tier` that select `workload` and have rules for `direction`, in the order they are evaluated. */
  clusterSelecting(workload: Workload, tier: ClusterTier, direction: Direction): readonly CompiledClusterPolicy[];
}

type Selecting = Record<ClusterTier, Record<Direction, CompiledClusterPolicy[]>>;

/**
 * Lower priority first; between equal priorities the API leaves the order to the implementation,
 * and this is kube-network-policies' order: by name.
 */
const byPriority = (a: CompiledClusterPolicy, b: CompiledClusterPolicy) => a.priority - b.priority || compareNames(a.name, b.name);

/** `clusterSelecting` of a compiled world: the subject matched once per workload. */
function clusterSelection(policies: readonly CompiledClusterPolicy[], namespaceLabels: CompiledWorld['namespaceLabels']): CompiledWorld['clusterSelecting'] {
  if (policies.length === 0) return () => [];
  const known = new WeakMap<Workload, Selecting>();
  const selectingOf = (workload: Workload): Selecting => {
    const selecting = policies.filter(({ subject }) => matchesSelector(subject.namespaceSelector, namespaceLabels(workload.namespace))
      && matchesSelector(subject.podSelector, workload.labels));
    const of = (tier: ClusterTier, direction: Direction) => selecting.filter((policy) => policy.tier === tier && policy.rules[direction].length > 0);
    return {
      Admin: { Ingress: of('Admin', 'Ingress'), Egress: of('Admin', 'Egress') },
      Baseline: { Ingress: of('Baseline', 'Ingress'), Egress: of('Baseline', 'Egress') },
    };
  };
  return (workload, tier, direction) => {
    let selecting = known.get(workload);
    if (!selecting) known.set(workload, selecting = selectingOf(workload));
    return selecting[tier][direction];
  };
}

export function compileWorld(world: World): CompiledWorld {
  const byNamespace = new Map<string, CompiledPolicy[]>();
  // By name, as the API server lists them: answers do not depend on the order of the input.
  const sorted = [...world.policies].sort((a, b) => compareNames(a.metadata.namespace, b.metadata.namespace) || compareNames(a.metadata.name, b.metadata.name));
  for (const source of sorted) {
    const policy = compilePolicy(source);
    const list = byNamespace.get(policy.ref.namespace);
    if (list) list.push(policy);
    else byNamespace.set(policy.ref.namespace, [policy]);
  }
  const isolation = new WeakMap<Workload, Record<Direction, CompiledPolicy[]>>();
  const isolationOf = (workload: Workload) => {
    let known = isolation.get(workload);
    if (!known) {
      const selecting = (byNamespace.get(workload.namespace) ?? [])
        .filter((policy) => matchesSelector(policy.source.spec.podSelector ?? {}, workload.labels));
      known = { Ingress: selecting.filter((p) => p.rules.Ingress), Egress: selecting.filter((p) => p.rules.Egress) };
      isolation.set(workload, known);
    }
    return known;
  };
  // A namespace the input does not describe has the one label the API server sets on every namespace.
  const namespaceLabels = (namespace: string) => world.namespaces.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
  const clusterPolicies = (world.clusterPolicies ?? []).map(compileClusterPolicy).sort(byPriority);
  return {
    world,
    policies: [...byNamespace.values()].flat(),
    namespaceLabels,
    isolating: (workload, direction) => isolationOf(workload)[direction],
    clusterPolicies,
    clusterSelecting: clusterSelection(clusterPolicies, namespaceLabels),
  };
}
