// A reachability world as the manifests other tools read: Namespaces, running Pods with their IPs
// and container ports, NetworkPolicies.
import type { World } from '../../src/reachability/types.ts';

export function worldManifests(world: World): object[] {
  const namespaces = [...world.namespaces].map(([name, labels]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }));
  const pods = world.workloads.map((workload) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
    spec: { containers: [{ name: 'main', image: 'example', ports: workload.ports.map(({ name, containerPort, protocol }) => ({ name, containerPort, protocol })) }] },
    status: { phase: 'Running', podIP: workload.ip, podIPs: [{ ip: workload.ip }], hostIP: '10.0.0.1' },
  }));
  const policies = world.policies.map((policy) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...policy }));
  return [...namespaces, ...pods, ...policies];
}
