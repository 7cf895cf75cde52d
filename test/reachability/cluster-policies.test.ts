// ClusterNetworkPolicy's tiers around NetworkPolicy, by name: the Admin tier first (Accept and
// Deny final, Pass down), NetworkPolicy where it isolates the pod, the Baseline tier where none
// does; priorities and names, rule order, protocols, networks; and bad input refused as the API
// server's schema refuses it, named by file, document and field.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkWorld } from '../../src/cli/network-world.ts';
import type { KubeObject } from '../../src/kubernetes/manifest-objects.ts';
import { compileClusterPolicy } from '../../src/reachability/cluster-policies.ts';
import { canReach } from '../../src/reachability/evaluate.ts';
import { verdictText } from '../../src/reachability/explain.ts';
import { worldOf } from '../../src/reachability/objects.ts';
import type { ClusterNetworkPolicySource, Connection, NetworkPolicySource, Workload } from '../../src/reachability/types.ts';
import { compileWorld } from '../../src/reachability/world.ts';

type Spec = ClusterNetworkPolicySource['spec'];
type Rule = NonNullable<Spec['ingress']>[number];

const namespaces = new Map<string, Record<string, string>>([
  ['tenant-a', { 'kubernetes.io/metadata.name': 'tenant-a', tenant: 'yes' }],
  ['tenant-b', { 'kubernetes.io/metadata.name': 'tenant-b', tenant: 'yes' }],
  ['ops', { 'kubernetes.io/metadata.name': 'ops' }],
]);
const api: Workload = { namespace: 'tenant-a', kind: 'Deployment', name: 'api', labels: { app: 'api' }, ip: '10.1.0.10', ports: [] };
const web: Workload = { namespace: 'tenant-b', kind: 'Deployment', name: 'web', labels: { app: 'web' }, ip: '10.1.0.20', ports: [] };
const probe: Workload = { namespace: 'ops', kind: 'Pod', name: 'probe', labels: { app: 'probe' }, ip: '10.1.1.5', ports: [] };
/** From manifests: its pods' IPs are not known. */
const job: Workload = { namespace: 'ops', kind: 'Job', name: 'job', labels: { app: 'job' }, ports: [] };
const tcp = (port: number): Connection => ({ protocol: 'TCP', port });

const byName = (...names: string[]) => ({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: names }] });
const cnp = (name: string, tier: string, priority: number, rules: Pick<Spec, 'ingress' | 'egress'>, subject: Spec['subject'] = { namespaces: byName('tenant-a') }): ClusterNetworkPolicySource =>
  ({ metadata: { name }, spec: { tier, priority, subject, ...rules } });
const from = (action: string, ...peers: NonNullable<Rule['from']>): Rule => ({ action, from: peers });
const np = (name: string, spec: NetworkPolicySource['spec'], namespace = 'tenant-a'): NetworkPolicySource => ({ metadata: { name, namespace }, spec });
const denyIngress = np('deny', { podSelector: {}, policyTypes: ['Ingress'] });
const allowIngress = np('allow', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] });

function reach(clusterPolicies: ClusterNetworkPolicySource[], policies: NetworkPolicySource[], source: Workload | string, destination: Workload | string, connection = tcp(80)) {
  const world = compileWorld({ namespaces, workloads: [api, web, probe, job], policies, clusterPolicies });
  const end = (e: Workload | string) => (typeof e === 'string' ? { ip: e } : { workload: e });
  return canReach(world, end(source), end(destination), connection);
}

/** Each tier a direction went through, as "Tier:outcome" or "Tier:outcome:policy[rule]". */
const path = (verdict: ReturnType<typeof reach>['ingress']) =>
  verdict!.tiers.map(({ tier, outcome, rule }) => [tier, outcome, ...(rule ? [`${rule.policy}[${rule.rule}]`] : [])].join(':'));

describe('reachability: ClusterNetworkPolicy tiers', function () {
  it('lets an Admin Accept override a NetworkPolicy that denies, without consulting it', function () {
    const verdict = reach([cnp('ops-in', 'Admin', 10, { ingress: [from('Accept', { namespaces: byName('ops') })] })], [denyIngress], probe, api);
    expect(verdict.decision).to.equal('allowed');
    expect(path(verdict.ingress)).to.deep.equal(['Admin:allowed:ops-in[0]']);
    expect(verdict.ingress!.isolatedBy).to.deep.equal([]);
  });

  it('lets an Admin Deny override a NetworkPolicy that allows everything', function () {
    const verdict = reach([cnp('no-b', 'Admin', 10, { ingress: [from('Deny', { namespaces: byName('tenant-b') })] })], [allowIngress], web, api);
    expect(verdict.decision).to.equal('denied');
    expect(verdict.ingress!.tiers[0]!.rule).to.deep.equal({ policy: 'no-b', tier: 'Admin', priority: 10, direction: 'Ingress', rule: 0, action: 'Deny', peer: 0 });
  });

  it('hands a connection an Admin rule passes to the NetworkPolicies, whose verdict is final', function () {
    const pass = cnp('pass-ops', 'Admin', 10, { ingress: [from('Pass', { namespaces: byName('ops') })] });
    const baseline = cnp('baseline-accept', 'Baseline', 10, { ingress: [from('Accept', { namespaces: {} })] });
    const denied = reach([pass, baseline], [denyIngress], probe, api);
    expect(denied.decision).to.equal('denied');
    expect(path(denied.ingress)).to.deep.equal(['Admin:pass:pass-ops[0]', 'NetworkPolicy:denied']);
    expect(reach([pass], [allowIngress], probe, api).decision).to.equal('allowed');
  });

  it('lets the Baseline tier decide what the Admin tier passes where no NetworkPolicy isolates the pod', function () {
    const pass = cnp('pass-ops', 'Admin', 10, { ingress: [from('Pass', { namespaces: byName('ops') })] });
    const baseline = cnp('baseline-deny', 'Baseline', 10, { ingress: [from('Deny', { namespaces: {} })] });
    const verdict = reach([pass, baseline], [], probe, api);
    expect(verdict.decision).to.equal('denied');
    expect(path(verdict.ingress)).to.deep.equal(['Admin:pass:pass-ops[0]', 'NetworkPolicy:pass', 'Baseline:denied:baseline-deny[0]']);
  });

  it('applies the Baseline tier only where no NetworkPolicy isolates the pod', function () {
    const baseline = cnp('baseline-deny', 'Baseline', 10, { ingress: [from('Deny', { namespaces: {} })] });
    const isolated = reach([baseline], [allowIngress], probe, api);
    expect(isolated.decision).to.equal('allowed');
    expect(path(isolated.ingress)).to.deep.equal(['NetworkPolicy:allowed']);
    expect(reach([baseline], [np('elsewhere', { podSelector: {} }, 'tenant-b')], probe, api).decision).to.equal('denied');
  });

  it('allows what every tier passes, and what no rule of a tier matches', function () {
    const admin = cnp('other', 'Admin', 10, { ingress: [from('Deny', { namespaces: byName('tenant-b') })] });
    const baseline = cnp('baseline-pass', 'Baseline', 10, { ingress: [from('Pass', { namespaces: {} })] });
    const verdict = reach([admin, baseline], [], probe, api);
    expect(verdict.decision).to.equal('allowed');
    expect(path(verdict.ingress)).to.deep.equal(['Admin:pass', 'NetworkPolicy:pass', 'Baseline:pass:baseline-pass[0]']);
    expect(verdict.ingress!.tiers[0]!.policies).to.deep.equal(['other']);
  });

  it('evaluates the lower priority number first, and equal priorities by name', function () {
    const accept = (name: string, priority: number) => cnp(name, 'Admin', priority, { ingress: [from('Accept', { namespaces: {} })] });
    const deny = (name: string, priority: number) => cnp(name, 'Admin', priority, { ingress: [from('Deny', { namespaces: {} })] });
    expect(path(reach([deny('a-deny', 10), accept('z-accept', 5)], [], probe, api).ingress)).to.deep.equal(['Admin:allowed:z-accept[0]']);
    expect(path(reach([accept('b-accept', 10), deny('a-deny', 10)], [], probe, api).ingress)).to.deep.equal(['Admin:denied:a-deny[0]']);
    expect(path(reach([deny('b-deny', 10), accept('a-accept', 10)], [], probe, api).ingress)).to.deep.equal(['Admin:allowed:a-accept[0]']);
  });

  it('lets the first rule of a policy whose peer matches decide, in the order written', function () {
    const rules = [
      from('Deny', { pods: { namespaceSelector: byName('ops'), podSelector: { matchLabels: { app: 'other' } } } }),
      { ...from('Accept', { namespaces: byName('tenant-b') }, { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } } }), name: 'probes' },
      from('Deny', { namespaces: {} }),
    ];
    const verdict = reach([cnp('ordered', 'Admin', 10, { ingress: rules })], [], probe, api);
    expect(verdict.decision).to.equal('allowed');
    expect(verdict.ingress!.tiers[0]!.rule).to.include({ rule: 1, peer: 1, name: 'probes', action: 'Accept' });
  });

  it('matches protocols: a TCP port, UDP, a range, and every connection where it lists none', function () {
    const deny = (protocols?: NonNullable<Rule['protocols']>) => [cnp('ports', 'Admin', 10, { ingress: [{ ...from('Deny', { namespaces: {} }), ...(protocols ? { protocols } : {}) }] })];
    const tcp80 = deny([{ tcp: { destinationPort: { number: 80 } } }]);
    expect(reach(tcp80, [], probe, api, tcp(80)).decision).to.equal('denied');
    expect(reach(tcp80, [], probe, api, tcp(81)).decision).to.equal('allowed');
    expect(reach(tcp80, [], probe, api, { protocol: 'UDP', port: 80 }).decision).to.equal('allowed');
    const udp53 = deny([{ udp: { destinationPort: { number: 53 } } }]);
    expect(reach(udp53, [], probe, api, { protocol: 'UDP', port: 53 }).decision).to.equal('denied');
    expect(reach(udp53, [], probe, api, tcp(53)).decision).to.equal('allowed');
    const range = deny([{ sctp: { destinationPort: { range: { start: 8000, end: 8100 } } } }]);
    expect(reach(range, [], probe, api, { protocol: 'SCTP', port: 8100 }).decision).to.equal('denied');
    expect(reach(range, [], probe, api, { protocol: 'SCTP', port: 8101 }).decision).to.equal('allowed');
    expect(reach(deny(), [], probe, api, { protocol: 'SCTP', port: 9 }).decision).to.equal('denied');
  });

  it('matches networks against an address outside the pods and a pod\'s own IP alike; an unknown IP matches none, and is said', function () {
    const egress = (...networks: string[]) => [cnp('nets', 'Admin', 10, { egress: [{ action: 'Deny', to: [{ networks }] }] }, { namespaces: byName('ops') })];
    expect(reach(egress('192.168.0.0/16'), [], probe, '192.168.1.10').decision).to.equal('denied');
    expect(reach(egress('192.168.0.0/16'), [], probe, '8.8.8.8').decision).to.equal('allowed');
    expect(reach(egress('10.1.0.0/24'), [], probe, web).decision).to.equal('denied');
    const unknown = reach([cnp('nets', 'Admin', 10, { egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8'] }] }] }, { namespaces: byName('tenant-b') })], [], web, job);
    expect(unknown.decision).to.equal('allowed');
    expect(unknown.egress!.tiers[0]).to.deep.include({ outcome: 'pass', unknownAddress: [{ policy: 'nets', tier: 'Admin', priority: 10, direction: 'Egress', rule: 0, action: 'Deny', peer: 0 }] });
    expect(verdictText({ workload: web }, { workload: job }, tcp(80), unknown, true)).to.contain('egress of tenant-b/deployment/web: no rule of the Admin tier (ClusterNetworkPolicy nets) matches '
      + '(the IP of ops/job/job is not known: taken as outside the networks of Admin ClusterNetworkPolicy nets spec.egress[0].to[0] (Deny)) → allowed: no NetworkPolicy selects it for Egress\n');
  });

  it('never matches an address outside the pods by an ingress peer, nor by an egress namespaces or pods peer', function () {
    const everyPod = { namespaces: {} };
    const ingress = reach([cnp('all-pods', 'Admin', 10, { ingress: [from('Deny', everyPod)] })], [], '8.8.8.8', api);
    expect(ingress.decision).to.equal('allowed');
    expect(path(ingress.ingress)).to.deep.equal(['Admin:pass', 'NetworkPolicy:pass']);
    const egress = cnp('all-pods', 'Admin', 10, { egress: [{ action: 'Deny', to: [everyPod, { pods: { namespaceSelector: {}, podSelector: {} } }] }] });
    expect(reach([egress], [], api, '8.8.8.8').decision).to.equal('allowed');
    expect(reach([egress], [], api, web).decision).to.equal('denied');
  });

  it('selects its subject by namespaces, or by pods within namespaces', function () {
    const deny = (subject: Spec['subject']) => [cnp('subject', 'Admin', 10, { egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] }, subject)];
    expect(reach(deny({ namespaces: { matchLabels: { tenant: 'yes' } } }), [], web, '8.8.8.8').decision).to.equal('denied');
    expect(reach(deny({ pods: { namespaceSelector: { matchLabels: { tenant: 'yes' } }, podSelector: { matchLabels: { app: 'api' } } } }), [], web, '8.8.8.8').decision).to.equal('allowed');
    expect(reach(deny({ pods: { podSelector: { matchLabels: { app: 'web' } } } }), [], web, '8.8.8.8').decision, 'no namespaceSelector: every namespace').to.equal('denied');
  });

  it('reads ClusterNetworkPolicies of both served versions, and names another group\'s kind as not modelled', function () {
    const object = (apiVersion: string, name: string): KubeObject => ({ apiVersion, kind: 'ClusterNetworkPolicy', metadata: { name }, spec: { tier: 'Admin', priority: 1, subject: { namespaces: {} } } });
    const { world, notModelled } = worldOf([object('policy.networking.k8s.io/v1alpha2', 'old'), object('policy.networking.k8s.io/v1beta1', 'new'), object('policy.networking.k8s.io/v1', 'future')], 'default');
    expect(world.clusterPolicies?.map(({ metadata }) => metadata.name)).to.deep.equal(['old', 'new']);
    expect(notModelled).to.have.length(1);
    expect(notModelled[0]).to.match(/\(ClusterNetworkPolicy future and any like it\)$/);
  });

  it('names a cluster\'s ClusterNetworkPolicy with the experimental channel\'s fields as not modelled, and leaves it out', function () {
    const policy: KubeObject = {
      apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'to-nodes' },
      spec: { tier: 'Admin', priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ nodes: { matchLabels: {} } }] }] },
    };
    const { world, notModelled } = worldOf([policy], 'default');
    expect(world.clusterPolicies ?? []).to.deep.equal([]);
    expect(notModelled).to.deep.equal(['ClusterNetworkPolicy to-nodes: ClusterNetworkPolicy to-nodes spec.egress[0].to[0]: needs exactly one of namespaces, pods or networks']);
  });
});

describe('reachability: ClusterNetworkPolicy input refused as the API server refuses it', function () {
  const valid: Spec = { tier: 'Admin', priority: 10, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8'] }], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }] };
  const refused: [string, (spec: Spec) => Spec, string][] = [
    ['a tier that is none', (s) => ({ ...s, tier: 'admin' }), 'spec.tier: must be Admin or Baseline (it is "admin")'],
    ['a priority past 1000', (s) => ({ ...s, priority: 1001 }), 'spec.priority: must be a whole number from 0 to 1000 (it is 1001)'],
    ['a subject of both kinds', (s) => ({ ...s, subject: { namespaces: {}, pods: { podSelector: {} } } }), 'spec.subject: needs exactly one of namespaces or pods (it has namespaces and pods)'],
    ['a subject of pods without podSelector', (s) => ({ ...s, subject: { pods: { namespaceSelector: {} } } }), 'spec.subject.pods.podSelector: required'],
    ['an action that is none', (s) => ({ ...s, egress: [{ ...s.egress![0]!, action: 'Allow' }] }), 'spec.egress[0].action: must be Accept, Deny or Pass (it is "Allow")'],
    ['a rule without peers', (s) => ({ ...s, egress: [{ ...s.egress![0]!, to: [] }] }), 'spec.egress[0].to: a rule needs at least one peer'],
    ['a peer of two kinds', (s) => ({ ...s, egress: [{ ...s.egress![0]!, to: [{ namespaces: {}, networks: ['10.0.0.0/8'] }] }] }), 'spec.egress[0].to[0]: needs exactly one of namespaces, pods or networks'],
    ['networks in an ingress peer', (s) => ({ ...s, ingress: [{ action: 'Deny', from: [{ networks: ['10.0.0.0/8'] }] }] }), 'spec.ingress[0].from[0].networks: egress peers alone name networks'],
    ['a CIDR that is none', (s) => ({ ...s, egress: [{ ...s.egress![0]!, to: [{ networks: ['10.0.0.0/33'] }] }] }), 'spec.egress[0].to[0].networks[0]: "10.0.0.0/33" is not a CIDR'],
    ['a CIDR with host bits', (s) => ({ ...s, egress: [{ ...s.egress![0]!, to: [{ networks: ['10.0.0.1/8'] }] }] }), 'spec.egress[0].to[0].networks[0]: "10.0.0.1/8" must have no bits set past the prefix length'],
    ['a protocol entry of two protocols', (s) => ({ ...s, egress: [{ ...s.egress![0]!, protocols: [{ tcp: { destinationPort: { number: 80 } }, udp: { destinationPort: { number: 53 } } }] }] }), 'spec.egress[0].protocols[0]: needs exactly one of tcp, udp or sctp'],
    ['a range whose start is not below its end', (s) => ({ ...s, egress: [{ ...s.egress![0]!, protocols: [{ udp: { destinationPort: { range: { start: 90, end: 90 } } } }] }] }), 'spec.egress[0].protocols[0].udp.destinationPort.range: start 90 must be less than end 90'],
    ['a port past 65535', (s) => ({ ...s, egress: [{ ...s.egress![0]!, protocols: [{ tcp: { destinationPort: { number: 70000 } } }] }] }), 'spec.egress[0].protocols[0].tcp.destinationPort.number: must be a port from 1 to 65535 (it is 70000)'],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}`, function () {
      expect(() => compileClusterPolicy({ metadata: { name: 'bad' }, spec: change(valid) })).to.throw(`ClusterNetworkPolicy bad ${message}`);
    });
  }

  it('accepts what the schema accepts', function () {
    expect(() => compileClusterPolicy({ metadata: { name: 'good' }, spec: valid })).not.to.throw();
  });

  async function inputError(yaml: string): Promise<{ file: string; message: string }> {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-cnp-')), 'policies.yaml');
    await writeFile(file, yaml);
    try {
      await networkWorld({ files: [file], defaultNamespace: 'default' });
    } catch (error) {
      return { file, message: (error as Error).message };
    }
    throw new Error('the input was not refused');
  }

  const document = (apiVersion: string, kind: string, spec: string) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: tenants}\nspec: ${spec}\n`;
  const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n';

  it('names the file, document and field of a ClusterNetworkPolicy the API server would refuse', async function () {
    const { file, message } = await inputError(namespace + document('policy.networking.k8s.io/v1alpha2', 'ClusterNetworkPolicy', '{tier: Admin, priority: 2000, subject: {namespaces: {}}}'));
    expect(message).to.equal(`${file}: document 2 (line 5): ClusterNetworkPolicy tenants spec.priority: must be a whole number from 0 to 1000 (it is 2000)`);
  });

  it('refuses another version of ClusterNetworkPolicy, naming the field, and names the group\'s older kinds as not modelled', async function () {
    const version = await inputError(document('policy.networking.k8s.io/v1', 'ClusterNetworkPolicy', '{}'));
    expect(version.message).to.equal(`${version.file}: document 1 (line 1): apiVersion: policy.networking.k8s.io/v1 is not a version of ClusterNetworkPolicy read here: policy.networking.k8s.io/v1beta1 or policy.networking.k8s.io/v1alpha2`);
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-cnp-')), 'anp.yaml');
    await writeFile(file, namespace + document('policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', '{}'));
    const { notModelled } = await networkWorld({ files: [file], defaultNamespace: 'default' });
    expect(notModelled).to.deep.equal(['AdminNetworkPolicy and BaselineAdminNetworkPolicy (network-policy-api before v0.3.0) (AdminNetworkPolicy tenants and any like it)']);
  });

  it('accepts both versions in files', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-cnp-')), 'policies.yaml');
    const spec = '{tier: Baseline, priority: 5, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}';
    await writeFile(file, [document('policy.networking.k8s.io/v1alpha2', 'ClusterNetworkPolicy', spec), document('policy.networking.k8s.io/v1beta1', 'ClusterNetworkPolicy', spec).replace('tenants', 'others')].join('---\n'));
    const { world } = await networkWorld({ files: [file], defaultNamespace: 'default' });
    expect(world.clusterPolicies?.map(({ metadata }) => metadata.name)).to.deep.equal(['tenants', 'others']);
  });
});
