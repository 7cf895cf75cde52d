// The REST endpoints of the built-in Kubernetes kinds Palisade reads or writes: one definition
// each, for the runtime, the controllers, the CLI and the benchmarks.
import type { Resource } from '../runtime/client.ts';
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
export const roleBindings: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true };
export const jobs: Resource = { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true };
export const leases: Resource = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true };
export const storageVersionMigrations: Resource = { group: 'storagemigration.k8s.io', version: 'v1', kind: 'StorageVersionMigration', resource: 'storageversionmigrations', namespaced: false };
export const selfSubjectAccessReviews: Resource = { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false };
export const events: Resource = { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true };

/** Every controller reads namespaces' metadata alone (name, labels, annotations, deletion): one metadata-only cache serves them all. */
export const NAMESPACE_METADATA: CacheView = { metadataOnly: true };
