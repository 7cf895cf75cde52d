// The world of a set of Kubernetes objects (manifests, or a live cluster's lists): Namespaces with
// their labels, every Pod and pod-template workload as one workload (as a user thinks of them),
// NetworkPolicies; and what the objects hold that this model does not cover, so that it is said.
import { namespaceOf, podTemplate, type KubeObject } from '../kubernetes/manifest-objects.ts';
import { NAMESPACE_NAME_LABEL } from './policies.ts';
import { PROTOCOLS, type Protocol } from './ports.ts';
import type { ContainerPort, NetworkPolicySource, World, Workload } from './types.ts';

/** Kinds that change connectivity beside NetworkPolicy, by API group: read, but not modelled (yet). */
const NOT_MODELLED: Record<string, string> = {
  'policy.networking.k8s.io': 'AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy',
  'cilium.io': 'Cilium\'s network policies',
  'crd.projectcalico.org': 'Calico\'s network policies',
  'projectcalico.org': 'Calico\'s network policies',
  'crd.antrea.io': 'Antrea\'s network policies',
};

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

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

/**
 * The world of `objects`; `policies` are more NetworkPolicies (rendered from ringfences), which
 * replace an object's policy of the same namespace and name as the operator's apply would.
 */
export function worldOf(objects: readonly KubeObject[], defaultNamespace: string, policies: readonly NetworkPolicySource[] = []): ObjectsWorld {
  const namespaces = new Map<string, Record<string, string>>();
  const workloads: Workload[] = [];
  const written = new Map<string, NetworkPolicySource>();
  const notModelled = new Set<string>();
  const hostNetwork: string[] = [];
  for (const object of objects) {
    const namespace = namespaceOf(object, defaultNamespace) ?? '';
    const name = object.metadata?.name ?? '';
    if (object.kind === 'Namespace' && object.apiVersion === 'v1') {
      namespaces.set(name, { ...object.metadata?.labels, [NAMESPACE_NAME_LABEL]: name });
    } else if (isNetworkPolicy(object)) {
      written.set(`${namespace}/${name}`, { ...(object as unknown as NetworkPolicySource), metadata: { ...object.metadata, name, namespace } });
    } else if (NOT_MODELLED[groupOf(object.apiVersion)] && /NetworkPolicy$|Policy$/.test(object.kind)) {
      notModelled.add(`${NOT_MODELLED[groupOf(object.apiVersion)]} (${object.kind} ${namespace ? `${namespace}/` : ''}${name} and any like it)`);
    } else {
      const template = podTemplate(object);
      if (!template) continue;
      const spec = template.spec as { containers?: ContainerLike[] | null; initContainers?: ContainerLike[] | null; hostNetwork?: boolean | null };
      if (spec.hostNetwork) {
        hostNetwork.push(`${namespace}/${object.kind.toLowerCase()}/${name}`);
        continue;
      }
      const ip = object.kind === 'Pod' ? (object.status as { podIP?: string } | undefined)?.podIP : undefined;
      workloads.push({
        namespace, kind: object.kind, name, labels: template.metadata.labels ?? {},
        ...(ip ? { ip } : {}),
        ports: containerPorts([...(spec.containers ?? []), ...(spec.initContainers ?? [])]),
      });
    }
  }
  for (const policy of policies) written.set(`${policy.metadata.namespace}/${policy.metadata.name}`, policy);
  const lines = [...notModelled];
  if (hostNetwork.length > 0) lines.push(`pods on the host network, which NetworkPolicy does not fence: ${hostNetwork.join(', ')}`);
  return { world: { namespaces, workloads, policies: [...written.values()] }, notModelled: lines };
}
