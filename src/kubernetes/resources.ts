// The REST endpoints of the built-in Kubernetes kinds Palisade reads or writes: one definition
// each, for the runtime, the controllers, the CLI and the benchmarks.
import type { Resource } from '../runtime/client.ts';
import type { VersionedResource } from '../runtime/discovery.ts';
import type { CacheView } from '../runtime/manager.ts';

const core = (kind: string, resource: string, namespaced: boolean): Resource => ({ group: '', version: 'v1', kind, resource, namespaced });

export const namespaces = core('Namespace', 'namespaces', false);
export const pods = core('Pod', 'pods', true);
export const secrets = core('Secret', 'secrets', true);
export const configMaps = core('ConfigMap', 'configmaps', true);
export const services = core('Service', 'services', true);
export const endpoints = core('Endpoints', 'endpoints', true);
export const nodes = core('Node', 'nodes', false);
export const networkPolicies: Resource = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true };
export const jobs: Resource = { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true };
export const leases: Resource = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true };
export const storageVersionMigrations: Resource = { group: 'storagemigration.k8s.io', version: 'v1', kind: 'StorageVersionMigration', resource: 'storageversionmigrations', namespaced: false };
export const selfSubjectAccessReviews: Resource = { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false };
export const events: Resource = { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true };
export const serviceAccounts = core('ServiceAccount', 'serviceaccounts', true);
export const replicationControllers = core('ReplicationController', 'replicationcontrollers', true);
const apps = (kind: string, resource: string): Resource => ({ group: 'apps', version: 'v1', kind, resource, namespaced: true });
export const deployments = apps('Deployment', 'deployments');
export const statefulSets = apps('StatefulSet', 'statefulsets');
export const daemonSets = apps('DaemonSet', 'daemonsets');
export const replicaSets = apps('ReplicaSet', 'replicasets');
export const cronJobs: Resource = { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs', namespaced: true };
const rbac = (kind: string, resource: string, namespaced: boolean): Resource => ({ group: 'rbac.authorization.k8s.io', version: 'v1', kind, resource, namespaced });
export const roleBindings = rbac('RoleBinding', 'rolebindings', true);
export const roles = rbac('Role', 'roles', true);
export const clusterRoles = rbac('ClusterRole', 'clusterroles', false);
export const clusterRoleBindings = rbac('ClusterRoleBinding', 'clusterrolebindings', false);

/** Every controller reads namespaces' metadata alone (name, labels, annotations, deletion): one metadata-only cache serves them all. */
export const NAMESPACE_METADATA: CacheView = { metadataOnly: true };

/**
 * sigs.k8s.io/network-policy-api's ClusterNetworkPolicy (v0.3.0): v1beta1, its storage version,
 * where served, else v1alpha2, the same schema. Not built in: its CRDs may be missing.
 */
export const clusterNetworkPolicies: VersionedResource = {
  group: 'policy.networking.k8s.io', versions: ['v1beta1', 'v1alpha2'], kind: 'ClusterNetworkPolicy', resource: 'clusternetworkpolicies', namespaced: false,
};
