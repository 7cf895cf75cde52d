// A ClusterRingfence rendered without a cluster, for `palisade render`, `can-reach` and `map`:
// over the given Namespaces it selects, as the operator writes it with its defaults (v1beta1, the
// storage version of network-policy-api v0.3.0, and the default priority band).
import type { ClusterRingfenceSpec } from '../api/clusterringfence.ts';
import { render, type SelectedNamespace } from '../controllers/clusterringfence/render.ts';
import { priorityBand } from '../controllers/clusterringfence/settings.ts';
import { NAMESPACE_NAME_LABEL, type ClusterNetworkPolicy } from '../kubernetes/objects.ts';
import { clusterNetworkPolicies } from '../kubernetes/resources.ts';
import { matchesSelector } from '../kubernetes/selectors.ts';

const API_VERSION = `${clusterNetworkPolicies.group}/${clusterNetworkPolicies.versions[0]}`;

export function offlineClusterPolicies(name: string, spec: ClusterRingfenceSpec, namespaces: readonly SelectedNamespace[]): ClusterNetworkPolicy[] {
  // The API server sets kubernetes.io/metadata.name on every namespace; a file's Namespace need not say it.
  const selected = namespaces.map(({ name: ns, labels }) => ({ name: ns, labels: { ...labels, [NAMESPACE_NAME_LABEL]: ns } }))
    .filter((ns) => matchesSelector(spec.namespaceSelector, ns.labels));
  return render({ metadata: { name }, spec }, selected, API_VERSION, priorityBand({})).policies;
}

/** The Namespaces among `objects` (a file's, a cluster's), as a ClusterRingfence selects them. */
export function namespacesIn(objects: readonly { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; labels?: unknown } | null }[]): SelectedNamespace[] {
  return objects.filter((object) => object.apiVersion === 'v1' && object.kind === 'Namespace' && typeof object.metadata?.name === 'string')
    .map(({ metadata }) => ({ name: metadata!.name as string, labels: (metadata!.labels ?? {}) as Record<string, string> }));
}
