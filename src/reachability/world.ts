// A world compiled for many questions: policies by namespace, namespace labels, and which
// policies isolate each workload in each direction, each computed once.
import { compareNames } from '../kubernetes/order.ts';
import { matchesSelector } from '../kubernetes/selectors.ts';
import { NAMESPACE_NAME_LABEL } from '../kubernetes/objects.ts';
import { compilePolicy, type CompiledPolicy } from './policies.ts';
import type { Direction, World, Workload } from './types.ts';

export interface CompiledWorld {
  world: World;
  policies: readonly CompiledPolicy[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  /** The policies that isolate `workload` in `direction`: an empty list leaves it open. */
  isolating(workload: Workload, direction: Direction): readonly CompiledPolicy[];
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
  return {
    world,
    policies: [...byNamespace.values()].flat(),
    // A namespace the input does not describe has the one label the API server sets on every namespace.
    namespaceLabels: (namespace) => world.namespaces.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace },
    isolating: (workload, direction) => isolationOf(workload)[direction],
  };
}
