// The traps of NetworkPolicy semantics, by name, and what a verdict explains.
import { expect } from 'chai';
import { canReach } from '../../src/reachability/evaluate.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import type { Connection, NetworkPolicySource, Workload, World } from '../../src/reachability/types.ts';

const namespaces = new Map<string, Record<string, string>>([
  ['shop', { 'kubernetes.io/metadata.name': 'shop', team: 'shop' }],
  ['ops', { 'kubernetes.io/metadata.name': 'ops' }],
]);
const web: Workload = { namespace: 'shop', kind: 'Deployment', name: 'web', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] };
const api: Workload = { namespace: 'shop', kind: 'Deployment', name: 'api', labels: { app: 'api' }, ip: '10.1.0.20', ports: [] };
const probe: Workload = { namespace: 'ops', kind: 'Pod', name: 'probe', labels: { app: 'probe' }, ip: '10.1.1.5', ports: [] };
const tcp = (port: number): Connection => ({ protocol: 'TCP', port });

const policy = (name: string, spec: NetworkPolicySource['spec'], namespace = 'shop'): NetworkPolicySource => ({ metadata: { name, namespace }, spec });
const reach = (policies: NetworkPolicySource[], from: Workload | string, to: Workload | string, connection = tcp(80)) => {
  const world: World = { namespaces, workloads: [web, api, probe], policies };
  const end = (e: Workload | string) => (typeof e === 'string' ? { ip: e } : { workload: e });
  return canReach(compileWorld(world), end(from), end(to), connection);
};

describe('reachability: NetworkPolicy semantics', function () {
  it('leaves a pod that no policy selects open in both directions', function () {
    const verdict = reach([], probe, web);
    expect(verdict.decision).to.equal('allowed');
    expect(verdict.egress?.isolatedBy).to.deep.equal([]);
    expect(verdict.ingress?.isolatedBy).to.deep.equal([]);
  });

  it('isolates no egress for `egress: []` without policyTypes, and isolates ingress', function () {
    const empty = policy('empty', { podSelector: {}, egress: [] });
    expect(reach([empty], web, '8.8.8.8').decision).to.equal('allowed');
    expect(reach([empty], probe, web).decision).to.equal('denied');
  });

  it('isolates egress for `egress: []` with policyTypes Egress', function () {
    expect(reach([policy('deny', { podSelector: {}, policyTypes: ['Egress'], egress: [] })], web, '8.8.8.8').decision).to.equal('denied');
  });

  it('reads a port entry with a protocol and no port as every port of that protocol only', function () {
    const udp = policy('udp', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'UDP' }] }] });
    expect(reach([udp], probe, web, { protocol: 'UDP', port: 5353 }).decision).to.equal('allowed');
    expect(reach([udp], probe, web, tcp(5353)).decision).to.equal('denied');
  });

  it('resolves a named port against the destination pod, in both directions', function () {
    const ingress = policy('named-in', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 'http' }] }] });
    expect(reach([ingress], probe, web, tcp(8080)).decision).to.equal('allowed');
    expect(reach([ingress], probe, api, tcp(8080)).decision).to.equal('denied');
    const egress = policy('named-out', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] });
    expect(reach([egress], api, web, tcp(8080)).decision).to.equal('allowed');
    expect(reach([egress], api, '8.8.8.8', tcp(8080)).decision).to.equal('denied');
  });

  it('matches endPort ranges and SCTP', function () {
    const ranged = policy('ranged', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'SCTP', port: 3000, endPort: 3010 }] }] });
    expect(reach([ranged], probe, web, { protocol: 'SCTP', port: 3010 }).decision).to.equal('allowed');
    expect(reach([ranged], probe, web, { protocol: 'SCTP', port: 3011 }).decision).to.equal('denied');
    expect(reach([ranged], probe, web, tcp(3005)).decision).to.equal('denied');
  });

  it('tells namespaceSelector {} (every namespace) from no namespaceSelector (the policy\'s own)', function () {
    const every = policy('every', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } }] }] });
    const own = policy('own', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'probe' } } }] }] });
    expect(reach([every], probe, web).decision).to.equal('allowed');
    expect(reach([own], probe, web).decision).to.equal('denied');
  });

  it('ANDs the selectors within a peer and ORs the peers', function () {
    const and = policy('and', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { app: 'probe' } } }] }] });
    const or = policy('or', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }, { podSelector: { matchLabels: { app: 'probe' } } }] }] });
    expect(reach([and], probe, web).decision).to.equal('denied');
    expect(reach([or], api, web).decision).to.equal('allowed');
  });

  it('matches matchExpressions as the API server does', function () {
    const notIn = policy('not-in', { podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }, policyTypes: ['Ingress'] });
    expect(reach([notIn], probe, web).decision).to.equal('denied');
    expect(reach([notIn], probe, api).decision).to.equal('allowed');
  });

  it('says undetermined when only an ipBlock holding the pod\'s own IP would allow it', function () {
    const block = policy('block', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }] });
    const verdict = reach([block], probe, web);
    expect(verdict.decision).to.equal('undetermined');
    expect(verdict.ingress?.undeterminedBy).to.deep.equal([{ policy: { namespace: 'shop', name: 'block' }, direction: 'Ingress', rule: 0, peer: 0 }]);
    expect(reach([block], '10.1.200.1', web).decision).to.equal('allowed');
    expect(reach([block], '10.2.0.1', web).decision).to.equal('denied');
  });

  it('never filters a Pod\'s traffic to itself, and filters a workload\'s replicas, which are other pods', function () {
    const deny = [policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'ops')];
    expect(reach(deny, probe, probe)).to.deep.equal({ decision: 'allowed', self: true });
    expect(reach([policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], web, web).decision).to.equal('denied');
  });

  it('says undetermined for an ipBlock and a pod whose IP it does not know', function () {
    const block = policy('block', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] });
    expect(reach([block], { ...probe, ip: undefined }, web).decision).to.equal('undetermined');
    expect(reach([block], { ...probe, ip: undefined, podIPs: ['10.1.1.5', 'fd00::5'] }, web).decision).to.equal('undetermined');
  });

  it('refuses what the API server refuses: an unknown policy type, an empty peer, an ipBlock beside selectors, an except outside its cidr', function () {
    const refusals: [NetworkPolicySource['spec'], string][] = [
      [{ podSelector: {}, policyTypes: ['ingress'] }, 'spec.policyTypes: ingress is not Ingress or Egress'],
      [{ podSelector: {}, ingress: [{ from: [{}] }] }, 'spec.ingress[0].from[0]: a peer needs podSelector, namespaceSelector or ipBlock'],
      [{ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }, 'spec.ingress[0].from[0]: ipBlock cannot be combined'],
      [{ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] }, 'spec.ingress[0].from[0].ipBlock.except[0]: 11.0.0.0/16 must lie inside cidr 10.0.0.0/8'],
      [{ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }] }] }, 'and be narrower than it'],
    ];
    for (const [spec, message] of refusals) expect(() => reach([policy('bad', spec)], probe, web)).to.throw(message);
  });

  it('explains which policy and rule allowed each direction, and which policies isolate a denied pod', function () {
    const deny = policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const allow = policy('allow', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }, { ports: [{ port: 443 }] }] });
    const verdict = reach([deny, allow], web, '8.8.8.8', tcp(443));
    expect(verdict.decision).to.equal('allowed');
    expect(verdict.egress?.allowedBy).to.deep.equal([{ policy: { namespace: 'shop', name: 'allow' }, direction: 'Egress', rule: 1 }]);
    expect(verdict.ingress).to.equal(undefined);
    const denied = reach([deny, allow], probe, web);
    expect(denied.decision).to.equal('denied');
    expect(denied.ingress?.isolatedBy.map(({ policy: p }) => p.name)).to.deep.equal(['deny']);
    expect(denied.ingress?.allowedBy).to.deep.equal([]);
  });
});
