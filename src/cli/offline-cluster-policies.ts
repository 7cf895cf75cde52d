// A ClusterRingfence rendered without a cluster, for `palisade render`, `can-reach` and `map`:
// over the given Namespaces it selects, as the operator writes it with its defaults (v1beta1, the
// storage version of network-policy-api v0.3.0, and the default priority band).
import type { ClusterRingfenceSpec } from '../api/clusterringfence.ts';
import { render, type SelectedNamespace } from '../controllers/clusterringfence/render.ts';
import { clusterNetworkPolicyResource } from '../controllers/clusterringfence/served-api.ts';
import { priorityBand } from '../controllers/clusterringfence/settings.ts';
import { NAMESPACE_NAME_LABEL, type ClusterNetworkPolicy } from '../kubernetes/objects.ts';
import { matchesSelector } from '../kubernetes/selectors.ts';

const { group, version } = clusterNetworkPolicyResource('v1beta1');

export function offlineClusterPolicies(name: string, spec: ClusterRingfenceSpec, namespaces: readonly SelectedNamespace[]): ClusterNetworkPolicy[] {
  // The API server sets kubernetes.io/metadata.name on every namespace; a file's Namespace need not say it.
  const selected = namespaces.map(({ name: ns, labels }) => ({ name: ns, labels: { ...labels, [NAMESPACE_NAME_LABEL]: ns } }))
    .filter((ns) => matchesSelector(spec.namespaceSelector, ns.labels));
  return render({ metadata: { name }, spec }, selected, `${group}/${version}`, priorityBand({})).policies;
}
