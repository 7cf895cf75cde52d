// The evaluator on what the documentation's examples (test/reachability/documentation.test.ts,
// which checks it on each of them) leave out, so that it can be trusted to judge generated policies.
import { expect } from 'chai';
import { allowed, type Endpoint, type Policy } from './network-policy.ts';

const namespaces = {
  default: { 'kubernetes.io/metadata.name': 'default' },
  myproject: { 'kubernetes.io/metadata.name': 'myproject', project: 'myproject' },
  other: { 'kubernetes.io/metadata.name': 'other' },
};
const pod = (namespace: string, labels: Record<string, string>, ip = '10.244.0.10'): Endpoint => ({ pod: { namespace, labels, ip } });
const ip = (address: string): Endpoint => ({ ip: address });

describe('NetworkPolicy evaluator', function () {
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
