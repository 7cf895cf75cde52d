// The world of a set of objects: workloads as a user thinks of them (one per owner), namespaces
// with the label the API server sets, rendered policies over written ones, and what is not modelled.
import { expect } from 'chai';
import type { KubeObject } from '../../src/kubernetes/manifest-objects.ts';
import { worldOf } from '../../src/reachability/objects.ts';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }] } };
const owner = (apiVersion: string, kind: string, name: string) => ({ ownerReferences: [{ apiVersion, kind, name, controller: true, uid: 'u' }] });

const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'shop' } } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template } },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-5d8f', namespace: 'shop', ...owner('apps/v1', 'Deployment', 'web') }, spec: { template } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-5d8f-x', namespace: 'shop', labels: { app: 'web' }, ...owner('apps/v1', 'ReplicaSet', 'web-5d8f') }, spec: template.spec, status: { podIP: '10.1.0.5' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan-x', namespace: 'shop', labels: { app: 'orphan' }, ...owner('apps/v1', 'ReplicaSet', 'gone') }, spec: template.spec, status: { podIP: '10.1.0.6' } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'palisade-default-deny', namespace: 'shop', ...owner('apps/v1', 'Deployment', 'web') }, spec: { podSelector: {} } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent', namespace: 'shop' }, spec: { hostNetwork: true, containers: [] } },
  { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: 'tenants' }, spec: {} },
];

describe('reachability: the world of a set of objects', function () {
  const rendered = { metadata: { name: 'palisade-default-deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };
  const { world, notModelled } = worldOf(objects, 'default', [rendered]);

  it('has one workload per owner in the input: the Deployment, not its ReplicaSet or Pods; a Pod whose owner is missing stands alone', function () {
    expect(world.workloads.map((w) => `${w.kind}/${w.name}`)).to.deep.equal(['Deployment/web', 'Pod/orphan-x']);
    expect(world.workloads[0]!.ports).to.deep.equal([{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
    expect(world.workloads[1]!.ip).to.equal('10.1.0.6');
    expect(world.workloads[0]!.podIPs, 'the addresses of the pods it owns').to.deep.equal(['10.1.0.5']);
  });

  it('labels each namespace with its name, as the API server does', function () {
    expect(world.namespaces.get('shop')).to.deep.equal({ team: 'shop', 'kubernetes.io/metadata.name': 'shop' });
  });

  it('takes a rendered policy over the written one of the same name, as the operator\'s apply would', function () {
    expect(world.policies).to.deep.equal([rendered]);
  });

  it('names what it does not model: other policy kinds and pods on the host network', function () {
    expect(notModelled).to.deep.equal([
      'AdminNetworkPolicy and BaselineAdminNetworkPolicy (network-policy-api before v0.3.0) (AdminNetworkPolicy tenants and any like it)',
      'pods on the host network, which NetworkPolicy does not fence: shop/pod/agent',
    ]);
  });
});
