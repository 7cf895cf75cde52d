// What `palisade scan --kubeconfig` reads from a live cluster: read-only lists, a page at a time,
// of every kind a scan checks or learns namespaces from. Objects a controller made from a template
// the scan reads already (a Deployment's ReplicaSets, their Pods) are left out, so that each
// finding is reported once, on what people edit.
import { baselines, ringfences } from '../api/resources.ts';
import {
  clusterRoleBindings, clusterRoles, cronJobs, daemonSets, deployments, jobs, namespaces, networkPolicies, pods, replicaSets,
  replicationControllers, roleBindings, roles, serviceAccounts, services, statefulSets,
} from '../kubernetes/resources.ts';
import { ApiError, isNotFound, KubeClient, type KubeObject, type Resource } from '../runtime/client.ts';
import { loadCredentials } from '../runtime/credentials.ts';
import type { KubeObject as ScannedKubeObject } from '../scan/objects.ts';

const PAGE = 500;

/** What tells a scan about namespaces: their labels, baselines, ringfences, policies and ServiceAccounts. */
export const CONTEXT_RESOURCES: readonly Resource[] = [namespaces, baselines, ringfences, networkPolicies, serviceAccounts];
/** Everything a scan of the cluster checks. */
export const SCANNED_RESOURCES: readonly Resource[] = [
  ...CONTEXT_RESOURCES, pods, deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, replicationControllers, services,
  roles, clusterRoles, roleBindings, clusterRoleBindings,
];

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);

const madeFromTemplate = (object: KubeObject) =>
  (object.metadata.ownerReferences ?? []).some((owner) => owner.controller === true && WORKLOAD_KINDS.has(owner.kind));

async function listAll(client: KubeClient, resource: Resource, namespace: string | undefined): Promise<ScannedKubeObject[]> {
  const objects: ScannedKubeObject[] = [];
  const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
  let token: string | undefined;
  do {
    const page = await client.list(resource, { limit: PAGE, ...(token ? { continue: token } : {}), ...(namespace && resource.namespaced ? { namespace } : {}) });
    for (const item of page.items ?? []) {
      if (madeFromTemplate(item)) continue;
      const { managedFields: _managedFields, ...metadata } = item.metadata as KubeObject['metadata'] & { managedFields?: unknown };
      objects.push({ ...item, apiVersion, kind: resource.kind, metadata });
    }
    token = page.metadata.continue;
  } while (token);
  return objects;
}

export interface ClusterObjects {
  objects: ScannedKubeObject[];
  /** Resources it could not list, and why: not served (a CRD not installed) or not allowed. */
  skipped: string[];
}

/** The objects of `resources` in the cluster of `kubeconfig`; with `namespace`, those of that namespace (and its baselines) alone. */
export async function clusterObjects(kubeconfig: string, resources: readonly Resource[], namespace?: string): Promise<ClusterObjects> {
  const client = new KubeClient(await loadCredentials(kubeconfig));
  try {
    return await listEach(client, resources, namespace);
  } finally {
    await client.close();
  }
}

async function listEach(client: KubeClient, resources: readonly Resource[], namespace: string | undefined): Promise<ClusterObjects> {
  const lists = await Promise.all(resources.map(async (resource) => {
    try {
      return { objects: await listAll(client, resource, namespace) };
    } catch (error) {
      if (isNotFound(error)) return { objects: [], skipped: `${resource.resource}: not served here` };
      if (error instanceof ApiError && error.code === 403) return { objects: [], skipped: `${resource.resource}: not allowed to list` };
      throw error;
    }
  }));
  // One namespace: its objects, itself, and the baselines that may select it.
  const inNamespace = (object: ScannedKubeObject) => !namespace || object.metadata?.namespace === namespace
    || (object.kind === 'Namespace' && object.metadata?.name === namespace) || object.kind === baselines.kind;
  return {
    objects: lists.flatMap((list) => list.objects).filter(inNamespace),
    skipped: lists.flatMap((list) => (list.skipped ? [list.skipped] : [])),
  };
}
