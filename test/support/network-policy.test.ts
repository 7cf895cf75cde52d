// The evaluator against the examples of the Kubernetes documentation (concepts/services-networking/
// network-policies), so that it can be trusted to judge generated policies.
import { expect } from 'chai';
import { allowed, type Cluster, type Endpoint, type Policy } from './network-policy.ts';

const namespaces = {
  default: { 'kubernetes.io/metadata.name': 'default' },
  myproject: { 'kubernetes.io/metadata.name': 'myproject', project: 'myproject' },
  other: { 'kubernetes.io/metadata.name': 'other' },
};
const pod = (namespace: string, labels: Record<string, string>, ip = '10.244.0.10'): Endpoint => ({ pod: { namespace, labels, ip } });
const ip = (address: string): Endpoint => ({ ip: address });

// "test-network-policy" from the documentation.
const testNetworkPolicy: Policy = {
  metadata: { name: 'test-network-policy', namespace: 'default' },
  spec: {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{
      from: [
        { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
        { namespaceSelector: { matchLabels: { project: 'myproject' } } },
        { podSelector: { matchLabels: { role: 'frontend' } } },
      ],
      ports: [{ protocol: 'TCP', port: 6379 }],
    }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
  },
};

describe('NetworkPolicy evaluator on the documentation examples', function () {
  const cluster: Cluster = { namespaces, policies: [testNetworkPolicy] };
  const db = pod('default', { role: 'db' });

  const cases: [string, Endpoint, Endpoint, number, boolean][] = [
    ['a frontend pod in the same namespace', pod('default', { role: 'frontend' }), db, 6379, true],
    ['a frontend pod on another port', pod('default', { role: 'frontend' }), db, 80, false],
    ['any pod in a namespace labelled project=myproject', pod('myproject', { app: 'x' }), db, 6379, true],
    ['a frontend pod in another namespace (podSelector alone means this namespace)', pod('other', { role: 'frontend' }), db, 6379, false],
    ['an address inside the ipBlock', ip('172.17.2.5'), db, 6379, true],
    ['an address in the except range', ip('172.17.1.5'), db, 6379, false],
    ['a pod without the frontend label', pod('default', { role: 'cache' }), db, 6379, false],
    ['db to 10.0.0.0/24 on 5978', db, ip('10.0.0.7'), 5978, true],
    ['db to 10.0.0.0/24 on another port', db, ip('10.0.0.7'), 443, false],
    ['db to an address outside the egress ipBlock', db, ip('8.8.8.8'), 5978, false],
    ['a pod the policy does not select, egress anywhere', pod('default', { role: 'web' }), ip('8.8.8.8'), 443, true],
  ];
  for (const [what, from, to, port, expected] of cases) {
    it(`${expected ? 'allows' : 'denies'} ${what}`, function () {
      expect(allowed(cluster, from, to, port)).to.equal(expected);
    });
  }

  it('treats namespaceSelector and podSelector in one peer as AND, in two peers as OR', function () {
    const and: Policy = {
      metadata: { name: 'and', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { project: 'myproject' } }, podSelector: { matchLabels: { role: 'client' } } }] }] },
    };
    const or: Policy = {
      metadata: { name: 'or', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'client' } } }] }] },
    };
    const target = pod('default', { app: 'api' });
    expect(allowed({ namespaces, policies: [and] }, pod('myproject', { role: 'other' }), target, 80)).to.equal(false);
    expect(allowed({ namespaces, policies: [and] }, pod('myproject', { role: 'client' }), target, 80)).to.equal(true);
    expect(allowed({ namespaces, policies: [or] }, pod('myproject', { role: 'other' }), target, 80)).to.equal(true);
    expect(allowed({ namespaces, policies: [or] }, pod('default', { role: 'client' }), target, 80)).to.equal(true);
  });

  it('denies all ingress under "default-deny-ingress" but leaves egress open, and allows all under "allow-all-ingress"', function () {
    const denyIngress: Policy = { metadata: { name: 'default-deny-ingress', namespace: 'default' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    const allowAll: Policy = { metadata: { name: 'allow-all-ingress', namespace: 'default' }, spec: { podSelector: {}, ingress: [{}] } };
    const web = pod('default', { app: 'web' });
    expect(allowed({ namespaces, policies: [denyIngress] }, pod('other', {}), web, 80)).to.equal(false);
    expect(allowed({ namespaces, policies: [denyIngress] }, web, ip('1.1.1.1'), 443)).to.equal(true);
    expect(allowed({ namespaces, policies: [denyIngress, allowAll] }, pod('other', {}), web, 80)).to.equal(true);
  });

  it('matches port ranges with endPort and tells protocols apart', function () {
    const ranged: Policy = {
      metadata: { name: 'multi-port-egress', namespace: 'default' },
      spec: { podSelector: { matchLabels: { role: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }] },
    };
    const db = pod('default', { role: 'db' });
    expect(allowed({ namespaces, policies: [ranged] }, db, ip('10.0.0.1'), 32500)).to.equal(true);
    expect(allowed({ namespaces, policies: [ranged] }, db, ip('10.0.0.1'), 32769)).to.equal(false);
    expect(allowed({ namespaces, policies: [ranged] }, db, ip('10.0.0.1'), 32500, 'UDP')).to.equal(false);
  });

  it('isolates no egress for `egress: []` without policyTypes (the API server adds Egress for a non-empty list only)', function () {
    const emptyEgress: Policy = { metadata: { name: 'empty-egress', namespace: 'default' }, spec: { podSelector: {}, egress: [] } };
    const web = pod('default', { app: 'web' });
    expect(allowed({ namespaces, policies: [emptyEgress] }, web, ip('1.1.1.1'), 443)).to.equal(true);
    expect(allowed({ namespaces, policies: [emptyEgress] }, pod('other', {}), web, 80)).to.equal(false);
  });

  it('resolves a named port against the destination pod\'s container ports, protocol included', function () {
    const named: Policy = {
      metadata: { name: 'named', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 'http' }] }] },
    };
    const web: Endpoint = { pod: { namespace: 'default', labels: {}, ip: '10.244.0.11', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] } };
    const client = pod('default', {});
    expect(allowed({ namespaces, policies: [named] }, client, web, 8080)).to.equal(true);
    expect(allowed({ namespaces, policies: [named] }, client, web, 80)).to.equal(false);
    expect(allowed({ namespaces, policies: [named] }, client, pod('default', {}), 8080)).to.equal(false);
  });
});
