// What `palisade scan --kubeconfig` reads from a live cluster: read-only lists, a page at a time,
// of every kind a scan checks or learns namespaces from. Objects a controller made from a template
// the scan reads already (a Deployment's ReplicaSets, their Pods) are left out, so that each
// finding is reported once, on what people edit.
import { baselines, ringfences } from '../api/resources.ts';
import {
  clusterRoleBindings, clusterRoles, cronJobs, daemonSets, deployments, jobs, namespaces, networkPolicies, pods, replicaSets,
  replicationControllers, roleBindings, roles, serviceAccounts, services, statefulSets,
} from '../kubernetes/resources.ts';
import { ApiError, isGone, isNotFound, KubeClient, type KubeObject, type Resource } from '../runtime/client.ts';
import { loadCredentials } from '../runtime/credentials.ts';
import { mapInParallel } from '../runtime/parallel.ts';
import { groupOf, type KubeObject as ScannedKubeObject } from '../kubernetes/manifest-objects.ts';
import { servedVersion, type VersionedResource } from '../runtime/discovery.ts';

const PAGE = 500;
/** Lists in flight at a time: a scan of hundreds of namespaces must not send all their lists at once. */
const LISTS_IN_FLIGHT = 16;

/** What tells a scan about namespaces: their labels, baselines, ringfences, policies and ServiceAccounts. */
export const CONTEXT_RESOURCES: readonly Resource[] = [namespaces, baselines, ringfences, networkPolicies, serviceAccounts];
/** What a reachability question reads: namespaces, policies and what runs pods. */
export const NETWORK_RESOURCES: readonly Resource[] = [
  namespaces, networkPolicies, pods, deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, replicationControllers,
];
/** Everything a scan of the cluster checks. */
export const SCANNED_RESOURCES: readonly Resource[] = [
  ...CONTEXT_RESOURCES, pods, deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, replicationControllers, services,
  roles, clusterRoles, roleBindings, clusterRoleBindings,
];

/** The resource in the version the cluster serves (none: nothing of it can be there), or why it could not tell. */
async function discovered(client: KubeClient, optional: VersionedResource): Promise<{ resource?: Resource; skipped?: string }> {
  try {
    const resource = await servedVersion(client, optional);
    return resource ? { resource } : {};
  } catch (error) {
    if (error instanceof ApiError && error.code === 403) return { skipped: `${optional.resource}: not allowed to discover ${optional.group}` };
    throw error;
  }
}

const apiVersionOf = (resource: Resource) => (resource.group ? `${resource.group}/${resource.version}` : resource.version);

/** The workload kinds a scan reads templates of, by API group: another group's Job (Volcano's, say) is not one. */
const SCANNED_OWNERS = new Set([deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, replicationControllers].map(({ group, kind }) => `${group}/${kind}`));

const madeFromTemplate = (object: KubeObject) => (object.metadata.ownerReferences ?? [])
  .some((owner) => owner.controller === true && SCANNED_OWNERS.has(`${groupOf(owner.apiVersion)}/${owner.kind}`));

/** Every object of `resource`, page by page; a list whose continue token expired (410) starts again. */
async function listAll(client: KubeClient, resource: Resource, namespace: string | undefined, keepOwned: boolean): Promise<ScannedKubeObject[]> {
  for (;;) {
    const objects: ScannedKubeObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.list(resource, { limit: PAGE, ...(token ? { continue: token } : {}), ...(namespace && resource.namespaced ? { namespace } : {}) });
        for (const item of page.items ?? []) {
          if (!keepOwned && madeFromTemplate(item)) continue;
          const { managedFields: _managedFields, ...metadata } = item.metadata as KubeObject['metadata'] & { managedFields?: unknown };
          objects.push({ ...item, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata });
        }
        token = page.metadata.continue;
      } while (token);
      return objects;
    } catch (error) {
      if (!(token && isGone(error))) throw error;
    }
  }
}

export interface ClusterObjects {
  objects: ScannedKubeObject[];
  /** Resources it could not list, and why: not served (a CRD not installed) or not allowed. */
  skipped: string[];
}

/**
 * Which namespaces to read: all, or some (and the cluster's baselines, which may select them);
 * `required`: a namespace that is not there is an error, not an empty one.
 */
export type Scope = { all: true } | { namespaces: readonly string[]; required: boolean };

export interface ListOptions {
  /** With what controllers made from a template (a reachability question needs their Pods' addresses). */
  keepOwned?: boolean;
  /** Resources read where the cluster serves them, in the version discovery finds; the cluster-scoped ones whatever the scope. */
  optional?: readonly VersionedResource[];
}

/** Those of `optional` the cluster serves, and what could not be found out. */
async function servedOf(client: KubeClient, optional: readonly VersionedResource[]): Promise<{ resources: Resource[]; skipped: string[] }> {
  const found = await Promise.all(optional.map((resource) => discovered(client, resource)));
  return {
    resources: found.flatMap(({ resource }) => (resource ? [resource] : [])),
    skipped: found.flatMap(({ skipped }) => (skipped ? [skipped] : [])),
  };
}

/**
 * The objects of `resources` in the cluster of `kubeconfig`, within `scope`: a user who may read
 * only their namespaces can scan them.
 */
export async function clusterObjects(kubeconfig: string | undefined, resources: readonly Resource[], scope: Scope, { keepOwned = false, optional = [] }: ListOptions = {}): Promise<ClusterObjects> {
  const client = new KubeClient(await loadCredentials(kubeconfig));
  try {
    const served = await servedOf(client, optional);
    const listed = await listScope(client, resources, served.resources, scope, keepOwned);
    return { ...listed, skipped: [...served.skipped, ...listed.skipped] };
  } finally {
    await client.close();
  }
}

async function listScope(client: KubeClient, resources: readonly Resource[], served: readonly Resource[], scope: Scope, keepOwned: boolean): Promise<ClusterObjects> {
  if ('all' in scope) return listEach(client, [...resources, ...served], [undefined], keepOwned);
  const found = await mapInParallel(scope.namespaces, LISTS_IN_FLIGHT, (name) => client.find<KubeObject>(namespaces, name));
  const missing = scope.namespaces.filter((_, index) => !found[index]);
  if (scope.required && missing.length > 0) throw new Error(`namespace ${missing.join(', ')} not found`);
  const inNamespaces = [...resources.filter((resource) => resource.namespaced || resource === baselines), ...served];
  const listed = await listEach(client, inNamespaces, scope.namespaces, keepOwned);
  const own = found.flatMap((namespace) => (namespace ? [{ ...namespace, apiVersion: 'v1', kind: 'Namespace' }] : []));
  return { ...listed, objects: [...own, ...listed.objects] };
}

/** Each resource listed in each namespace (undefined: all of them); a cluster-scoped one once. */
async function listEach(client: KubeClient, resources: readonly Resource[], inNamespaces: readonly (string | undefined)[], keepOwned: boolean): Promise<ClusterObjects> {
  const requests = resources.flatMap((resource) => (resource.namespaced ? inNamespaces : [undefined]).map((namespace) => ({ resource, namespace })));
  const lists = await mapInParallel(requests, LISTS_IN_FLIGHT, async ({ resource, namespace }) => {
    try {
      return { objects: await listAll(client, resource, namespace, keepOwned) };
    } catch (error) {
      if (isNotFound(error)) return { objects: [], skipped: `${resource.resource}: not served here` };
      const where = namespace ? ` in ${namespace}` : '';
      if (error instanceof ApiError && error.code === 403) return { objects: [], skipped: `${resource.resource}${where}: not allowed to list`, forbidden: true };
      throw error;
    }
  });
  if (lists.every((list) => 'forbidden' in list)) throw new Error('not allowed to list anything a scan reads: check the kubeconfig\'s user');
  return {
    objects: lists.flatMap((list) => list.objects),
    skipped: [...new Set(lists.flatMap((list) => (list.skipped ? [list.skipped] : [])))],
  };
}
