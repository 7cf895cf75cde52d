// The ends of a connection as a user names them: namespace/pod, namespace/kind/name or an IP; and
// as answers name them.
import { isIP } from 'node:net';
import type { Endpoint, World, Workload } from './types.ts';

/** kubectl's names for the kinds that run pods, short names included. */
const KINDS: Record<string, string> = {
  pod: 'Pod', pods: 'Pod', po: 'Pod',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet',
  job: 'Job', jobs: 'Job',
  cronjob: 'CronJob', cronjobs: 'CronJob', cj: 'CronJob',
  replicationcontroller: 'ReplicationController', replicationcontrollers: 'ReplicationController', rc: 'ReplicationController',
};

export const workloadName = (workload: Workload) => `${workload.namespace}/${workload.kind.toLowerCase()}/${workload.name}`;

export const endpointName = (endpoint: Endpoint) => ('ip' in endpoint ? endpoint.ip : workloadName(endpoint.workload));

/** The end `text` names in `world`; an IP of a known pod is that pod (or its workload). Throws a message for the user. */
export function resolveEndpoint(world: World, text: string): Endpoint {
  if (isIP(text)) {
    const pod = world.workloads.find((workload) => workload.ip === text || workload.podIPs?.includes(text));
    return pod ? { workload: pod } : { ip: text };
  }
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    throw new Error(`${text}: name a pod as namespace/pod, a workload as namespace/kind/name (shop/deployment/web), or an IP`);
  }
  const [namespace = '', kindText, name = ''] = parts.length === 2 ? [parts[0], 'pod', parts[1]] : parts;
  const kind = KINDS[kindText.toLowerCase()];
  if (!kind) throw new Error(`${text}: ${kindText} is not a kind that runs pods (${[...new Set(Object.values(KINDS))].join(', ')})`);
  const found = world.workloads.find((w) => w.namespace === namespace && w.kind === kind && w.name === name);
  if (found) return { workload: found };
  const namesake = world.workloads.filter((w) => w.namespace === namespace && w.name === name).map(workloadName);
  const hint = namesake.length > 0 ? `; did you mean ${namesake.join(' or ')}?` : '';
  throw new Error(`${text}: no ${kind} ${namespace}/${name} in the input${hint}`);
}
