// What the generated policies let through, judged by an evaluator written from the Kubernetes
// NetworkPolicy semantics (test/support/network-policy.ts), for the example ringfence.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { render, type Ringfence } from '../../../src/controllers/namespaceringfence/render.ts';
import { allowed, type Cluster, type Endpoint } from '../../support/network-policy.ts';

const example = (loadAll(readFileSync(new URL('../../../examples/namespaceringfence.yaml', import.meta.url), 'utf8')) as Ringfence[])
  .find((doc) => (doc as { kind?: string }).kind === 'NamespaceRingfence')!;

const namespaces: Cluster['namespaces'] = Object.fromEntries(
  [['payments'], ['payments-db'], ['ingress-nginx'], ['kube-system'], ['other'], ['monitoring', { 'palisade.dev/monitoring': 'true' }]]
    .map(([name, labels = {}]) => [name as string, { 'kubernetes.io/metadata.name': name as string, ...(labels as object) }]),
);
const pod = (namespace: string, labels: Record<string, string> = {}): Endpoint => ({ pod: { namespace, labels, ip: '10.244.1.9' } });
const ip = (address: string): Endpoint => ({ ip: address });

const app = pod('payments', { app: 'checkout' });
const clusterFor = (ringfence: Ringfence): Cluster => ({ namespaces, policies: render(ringfence).networkPolicies });

type Case = [what: string, from: Endpoint, to: Endpoint, port: number, protocol: string, expected: boolean];

const cases: Case[] = [
  ['within the namespace', app, pod('payments', { app: 'ledger' }), 8080, 'TCP', true],
  ['to the database namespace on 5432', app, pod('payments-db', { app: 'postgres' }), 5432, 'TCP', true],
  ['to the database namespace on another port', app, pod('payments-db', { app: 'redis' }), 6379, 'TCP', false],
  ['to the database namespace over UDP', app, pod('payments-db', { app: 'postgres' }), 5432, 'UDP', false],
  ['to another namespace', app, pod('other', { app: 'web' }), 80, 'TCP', false],
  ['DNS to kube-dns over UDP', app, pod('kube-system', { 'k8s-app': 'kube-dns' }), 53, 'UDP', true],
  ['DNS to kube-dns over TCP', app, pod('kube-system', { 'k8s-app': 'kube-dns' }), 53, 'TCP', true],
  ['port 53 to another kube-system pod', app, pod('kube-system', { component: 'etcd' }), 53, 'UDP', false],
  ['the metadata address on 80', app, ip('169.254.169.254'), 80, 'TCP', false],
  ['the metadata address on 443, inside the allowed 0.0.0.0/0', app, ip('169.254.169.254'), 443, 'TCP', false],
  ['the metadata address on 53 (no metadata resolver configured)', app, ip('169.254.169.254'), 53, 'UDP', false],
  ['the internet on 443', app, ip('93.184.216.34'), 443, 'TCP', true],
  ['the internet on 80', app, ip('93.184.216.34'), 80, 'TCP', false],
  ['in from the ingress controller on 8443', pod('ingress-nginx', { app: 'controller' }), app, 8443, 'TCP', true],
  ['in from the ingress controller on another port', pod('ingress-nginx', { app: 'controller' }), app, 80, 'TCP', false],
  ['in from another namespace on 8443', pod('other', { app: 'web' }), app, 8443, 'TCP', false],
  ['in from a namespace named like the ingress one', pod('ingress-nginx-evil', {}), app, 8443, 'TCP', false],
  ['in from Prometheus in a monitoring namespace on 9090', pod('monitoring', { 'app.kubernetes.io/name': 'prometheus' }), app, 9090, 'TCP', true],
  ['in from another pod of the monitoring namespace', pod('monitoring', { app: 'grafana' }), app, 9090, 'TCP', false],
  ['in from a Prometheus in a namespace without the label', pod('other', { 'app.kubernetes.io/name': 'prometheus' }), app, 9090, 'TCP', false],
  ['in from the internet', ip('203.0.113.7'), app, 8443, 'TCP', false],
  ['a new connection from the database namespace back in', pod('payments-db', { app: 'postgres' }), app, 8080, 'TCP', false],
];

describe('NamespaceRingfence reachability (the example ringfence)', function () {
  const cluster = clusterFor(example);
  for (const [what, from, to, port, protocol, expected] of cases) {
    it(`${expected ? 'allows' : 'denies'} ${what}`, function () {
      expect(allowed(cluster, from, to, port, protocol)).to.equal(expected);
    });
  }

  it('lets GKE Cloud DNS answer on the metadata address, on port 53 only', function () {
    const gke = { ...example, spec: { ...example.spec, egress: { ...example.spec.egress, dns: { enabled: true, resolvers: ['169.254.169.254/32'] } } } };
    const withResolver = clusterFor(gke);
    expect(allowed(withResolver, app, ip('169.254.169.254'), 53, 'UDP')).to.equal(true);
    expect(allowed(withResolver, app, ip('169.254.169.254'), 80, 'TCP')).to.equal(false);
    expect(allowed(withResolver, app, ip('169.254.169.254'), 443, 'TCP')).to.equal(false);
  });

  it('leaves the metadata address open on 443 only when blockCloudMetadata is false', function () {
    const open = { ...example, spec: { ...example.spec, egress: { ...example.spec.egress, blockCloudMetadata: false } } };
    expect(allowed(clusterFor(open), app, ip('169.254.169.254'), 443, 'TCP')).to.equal(true);
  });
});
