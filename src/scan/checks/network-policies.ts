// Who can reach a namespace's pods: a namespace whose pods no policy selects for ingress takes
// traffic from every pod in the cluster. A NamespaceRingfence counts: it writes a default deny.
import { matchesSelector } from '../../kubernetes/selectors.ts';
import { policyTypesOf, type NetworkPolicyView, type ScanContext } from '../context.ts';
import { podTemplate } from '../../kubernetes/manifest-objects.ts';
import { PALISADE_RULES as R } from '../rules.ts';
import type { Check } from './check.ts';

const ingressPolicies = (context: ScanContext, namespace: string): NetworkPolicyView[] =>
  (context.networkPolicies.get(namespace) ?? []).filter((policy) => policyTypesOf(policy).includes('Ingress'));

/** A default deny: every pod selected for ingress, and nothing allowed. */
const deniesAll = (policy: NetworkPolicyView) => {
  const selector = policy.podSelector ?? {};
  return !policy.hasIngress && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
};

export const podsWithoutNetworkPolicy: Check = (subject, context) => {
  const template = podTemplate(subject.value);
  const namespace = subject.ref.namespace;
  if (!template || !namespace) return undefined;
  const labels = template.metadata.labels ?? {};
  const selected = context.ringfenced.has(namespace)
    || ingressPolicies(context, namespace).some((policy) => matchesSelector(policy.podSelector ?? {}, labels));
  return {
    rules: [R.podNotSelected],
    issues: selected ? [] : [{ rule: R.podNotSelected, message: `no NetworkPolicy in namespace ${namespace} selects these pods for ingress`, path: [...template.path, 'metadata'] }],
  };
};

export const namespaceWithoutDefaultDeny: Check = (subject, context) => {
  if (subject.value.apiVersion !== 'v1' || subject.value.kind !== 'Namespace') return undefined;
  const namespace = subject.ref.name;
  const fenced = context.ringfenced.has(namespace) || ingressPolicies(context, namespace).some(deniesAll);
  return {
    rules: [R.noDefaultDeny],
    issues: fenced ? [] : [{ rule: R.noDefaultDeny, message: `no NetworkPolicy or NamespaceRingfence selects every pod of ${namespace} for ingress`, path: ['metadata'] }],
  };
};
