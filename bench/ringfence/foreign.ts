// Objects of the kinds a ringfence owns, written by others in namespaces that have no ringfence:
// an application's Helm release, say. Palisade's memory must not grow with them (issue #14: 50,000
// of them add less than 20 MiB to its peak RSS). They carry a managed-by label, but not Palisade's.
import type { KubeClient } from '../../src/runtime/client.ts';
import { networkPolicies, roleBindings } from '../../src/kubernetes/resources.ts';
import { applyAs, createNamespaces, namespaceObjects } from '../cluster.ts';

const PER_NAMESPACE = 50;
const FIELD_MANAGER = 'helm';
const labels = { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/managed-by': 'Helm' };

/** Lets one service's pods take traffic from the frontend on its port. */
const networkPolicy = (namespace: string, i: number) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `allow-frontend-${i}`, namespace, labels },
  spec: {
    podSelector: { matchLabels: { app: `service-${i}` } }, policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
  },
});

/** Gives one team read access to the namespace. */
const roleBinding = (namespace: string, i: number) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `team-${i}-view`, namespace, labels },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `team-${i}` }],
});

/**
 * Writes `count` foreign objects, half NetworkPolicies and half RoleBindings, PER_NAMESPACE to a
 * namespace of their own (`foreign-*`, no ringfence): untimed setup.
 */
export async function writeForeignObjects(client: KubeClient, count: number): Promise<void> {
  if (count === 0) return;
  await createNamespaces(client, namespaceObjects('foreign', Math.ceil(count / PER_NAMESPACE)));
  const indexes = Array.from({ length: count }, (_, i) => i);
  const namespaceOf = (i: number) => `foreign-${Math.floor(i / PER_NAMESPACE)}`;
  await applyAs(client, FIELD_MANAGER, networkPolicies, indexes.filter((i) => i % 2 === 0).map((i) => networkPolicy(namespaceOf(i), i)));
  await applyAs(client, FIELD_MANAGER, roleBindings, indexes.filter((i) => i % 2 === 1).map((i) => roleBinding(namespaceOf(i), i)));
}
