// Which namespaces can reach which others at all: the connectivity map folded to namespaces, a
// tenant check.
import { compareNames } from '../kubernetes/order.ts';
import type { MapEdge } from './map.ts';
import { union, type PortSet } from './ports.ts';

export interface NamespaceEdge {
  from: string;
  to: string;
  ports: PortSet;
}

export interface Isolation {
  /** Between two different namespaces, the connections any of their workloads may open. */
  edges: NamespaceEdge[];
  /** Namespaces that reach no other namespace and that none reaches. */
  isolated: string[];
}

export function namespaceIsolation(edges: readonly MapEdge[], namespaces: Iterable<string>): Isolation {
  const byPair = new Map<string, NamespaceEdge>();
  for (const edge of edges) {
    if (!('workload' in edge.from) || !('workload' in edge.to)) continue;
    const from = edge.from.workload.namespace;
    const to = edge.to.workload.namespace;
    if (from === to) continue;
    const key = `${from} ${to}`;
    const known = byPair.get(key);
    byPair.set(key, { from, to, ports: known ? union(known.ports, edge.ports) : edge.ports });
  }
  const touched = new Set([...byPair.values()].flatMap(({ from, to }) => [from, to]));
  return {
    edges: [...byPair.values()].sort((a, b) => compareNames(a.from, b.from) || compareNames(a.to, b.to)),
    isolated: [...new Set(namespaces)].filter((namespace) => !touched.has(namespace)).sort(),
  };
}
