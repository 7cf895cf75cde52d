// The world of a set of Kubernetes objects (manifests, or a live cluster's lists): Namespaces with
// their labels, every Pod and pod-template workload as one workload (as a user thinks of them),
// NetworkPolicies and ClusterNetworkPolicies; and what the objects hold that this model does not
// cover, so that it is said.
import { groupOf, namespaceOf, podTemplate, type KubeObject } from '../kubernetes/manifest-objects.ts';
import { NAMESPACE_NAME_LABEL } from '../kubernetes/objects.ts';
import { clusterNetworkPolicies } from '../kubernetes/resources.ts';
import { compileClusterPolicy, isClusterPolicyVersion } from './cluster-policies.ts';
import { errorMessage } from '../runtime/errors.ts';
import { PROTOCOLS, type Protocol } from './ports.ts';
import type { ClusterNetworkPolicySource, ContainerPort, NetworkPolicySource, World, Workload } from './types.ts';

/** Kinds that change connectivity beside NetworkPolicy and ClusterNetworkPolicy, by API group: read, but not modelled (yet). */
const NOT_MODELLED: Record<string, string> = {
  [clusterNetworkPolicies.group]: 'AdminNetworkPolicy and BaselineAdminNetworkPolicy (network-policy-api before v0.3.0)',
  'cilium.io': 'Cilium\'s network policies',
  'crd.projectcalico.org': 'Calico\'s network policies',
  'projectcalico.org': 'Calico\'s network policies',
  'crd.antrea.io': 'Antrea\'s network policies',
};


interface ContainerLike {
  ports?: { name?: string; containerPort?: number; protocol?: string }[] | null;
}

function containerPorts(containers: readonly ContainerLike[]): ContainerPort[] {
  return containers.flatMap((container) => (container.ports ?? []).flatMap((port) => {
    const protocol = (port.protocol ?? 'TCP') as Protocol;
    if (typeof port.containerPort !== 'number' || !PROTOCOLS.includes(protocol)) return [];
    return [{ ...(port.name ? { name: port.name } : {}), containerPort: port.containerPort, protocol }];
  }));
}

export interface ObjectsWorld {
  world: World;
  /** What the objects hold that the answers leave out, one line each. */
  notModelled: string[];
}

const isNetworkPolicy = (object: KubeObject) => object.kind === 'NetworkPolicy' && object.apiVersion === 'networking.k8s.io/v1';
/** Why a ClusterNetworkPolicy cannot be modelled; undefined where it can. */
function unreadable(policy: ClusterNetworkPolicySource): string | undefined {
  try {
    compileClusterPolicy(policy);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

const isClusterPolicy = (object: KubeObject) => object.kind === 'ClusterNetworkPolicy' && isClusterPolicyVersion(object.apiVersion);

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

const keyOf = (namespace: string, apiVersion: string, kind: string, name: string) => `${namespace}/${groupOf(apiVersion)}/${kind}/${name}`;

const controllerOf = (object: KubeObject) => ((object.metadata as { ownerReferences?: OwnerReference[] | null } | null | undefined)?.ownerReferences ?? [])
  .find((owner) => owner.controller === true);

/**
 * For each object that runs pods and whose controller (a ReplicaSet, a Deployment, a Job...) is in
 * the input, the key of the topmost such controller: a user thinks of a Deployment, not of its
 * ReplicaSets and Pods, which `kubectl get all -o yaml` and a live cluster list too.
 */
function topOwners(objects: readonly KubeObject[], defaultNamespace: string): Map<KubeObject, string> {
  const byKey = new Map(objects.filter((object) => podTemplate(object))
    .map((object) => [keyOf(namespaceOf(object, defaultNamespace) ?? '', object.apiVersion, object.kind, object.metadata?.name ?? ''), object]));
  const tops = new Map<KubeObject, string>();
  for (const object of byKey.values()) {
    const namespace = namespaceOf(object, defaultNamespace) ?? '';
    let top: string | undefined;
    // Bounded, so that an ownership cycle (which the API server does not prevent) cannot loop.
    for (let current = object, hops = 0; hops < 8; hops++) {
      const owner = controllerOf(current);
      const key = owner && keyOf(namespace, owner.apiVersion ?? '', owner.kind ?? '', owner.name ?? '');
      const next = key === undefined ? undefined : byKey.get(key);
      if (!next) break;
      [top, current] = [key, next];
    }
    if (top !== undefined) tops.set(object, top);
  }
  return tops;
}

/** A Pod's addresses, both families. */
function podAddresses(object: KubeObject): string[] {
  const status = object.status as { podIP?: string; podIPs?: { ip?: string }[] } | undefined;
  return [...new Set([status?.podIP, ...(status?.podIPs ?? []).map(({ ip }) => ip)].filter((ip): ip is string => Boolean(ip)))];
}

type PodSpecLike = { containers?: ContainerLike[] | null; initContainers?: ContainerLike[] | null; hostNetwork?: boolean | null };

/** The workload of an object that runs pods, or undefined (and a note) for a pod on the host network. */
function workloadOf(object: KubeObject, namespace: string, hostNetwork: string[]): Workload | undefined {
  const template = podTemplate(object)!;
  const name = object.metadata?.name ?? '';
  const spec = template.spec as PodSpecLike;
  if (spec.hostNetwork) {
    hostNetwork.push(`${namespace}/${object.kind.toLowerCase()}/${name}`);
    return undefined;
  }
  const [ip, ...more] = object.kind === 'Pod' ? podAddresses(object) : [];
  return {
    namespace, kind: object.kind, name, labels: template.metadata.labels ?? {},
    ...(ip ? { ip } : {}), ...(more.length > 0 ? { podIPs: [ip!, ...more] } : {}),
    ports: containerPorts([...(spec.containers ?? []), ...(spec.initContainers ?? [])]),
  };
}

/**
 * The world of `objects`; `policies` are more NetworkPolicies (rendered from ringfences), which
 * replace an object's policy of the same namespace and name as the operator's apply would. An
 * object given twice counts once, the last, as an apply of both would leave it.
 */
export function worldOf(objects: readonly KubeObject[], defaultNamespace: string, policies: readonly NetworkPolicySource[] = []): ObjectsWorld {
  const namespaces = new Map<string, Record<string, string>>();
  const workloads = new Map<string, Workload>();
  const written = new Map<string, NetworkPolicySource>();
  const clusterPolicies = new Map<string, ClusterNetworkPolicySource>();
  const notModelled = new Set<string>();
  const hostNetwork: string[] = [];
  const tops = topOwners(objects, defaultNamespace);
  const ownedAddresses = new Map<string, string[]>();
  for (const object of objects) {
    const namespace = namespaceOf(object, defaultNamespace) ?? '';
    const name = object.metadata?.name ?? '';
    const top = tops.get(object);
    if (top !== undefined) {
      if (object.kind === 'Pod') ownedAddresses.set(top, [...(ownedAddresses.get(top) ?? []), ...podAddresses(object)]);
    } else if (object.kind === 'Namespace' && object.apiVersion === 'v1') {
      namespaces.set(name, { ...object.metadata?.labels, [NAMESPACE_NAME_LABEL]: name });
    } else if (isNetworkPolicy(object)) {
      written.set(`${namespace}/${name}`, { ...(object as unknown as NetworkPolicySource), metadata: { ...object.metadata, name, namespace } });
    } else if (isClusterPolicy(object)) {
      const source: ClusterNetworkPolicySource = { ...(object as unknown as ClusterNetworkPolicySource), metadata: { ...object.metadata, name } };
      // A cluster's may use what this model does not read (the experimental channel's nodes,
      // domainNames, named ports): named, and left out, rather than taken for something else.
      const unread = unreadable(source);
      if (unread) notModelled.add(`ClusterNetworkPolicy ${name}: ${unread}`);
      else clusterPolicies.set(name, source);
    } else if (NOT_MODELLED[groupOf(object.apiVersion)] && object.kind.endsWith('Policy')) {
      notModelled.add(`${NOT_MODELLED[groupOf(object.apiVersion)]} (${object.kind} ${namespace ? `${namespace}/` : ''}${name} and any like it)`);
    } else if (podTemplate(object)) {
      const workload = workloadOf(object, namespace, hostNetwork);
      if (workload) workloads.set(keyOf(namespace, object.apiVersion, object.kind, name), workload);
    }
  }
  for (const [key, addresses] of ownedAddresses) {
    const workload = workloads.get(key);
    if (workload) workloads.set(key, { ...workload, podIPs: [...new Set(addresses)] });
  }
  for (const policy of policies) written.set(`${policy.metadata.namespace}/${policy.metadata.name}`, policy);
  const lines = [...notModelled];
  if (hostNetwork.length > 0) lines.push(`pods on the host network, which NetworkPolicy does not fence: ${hostNetwork.join(', ')}`);
  const world = { namespaces, workloads: [...workloads.values()], policies: [...written.values()], clusterPolicies: [...clusterPolicies.values()] };
  return { world, notModelled: lines };
}
