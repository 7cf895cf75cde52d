// The real-packet harness itself (harness/dataplane): with no policy it lets everything through,
// so a denial elsewhere is a policy's; it leaves nothing behind on the machine or the API server,
// even when killed; the NetworkPolicy examples of the Kubernetes documentation behave in packets as
// the documentation says (the cases test/reachability checks its evaluators with); and with the
// network-policy-api CRDs, ClusterNetworkPolicy's tiers are enforced around NetworkPolicy.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { clientFor } from '../../../harness/client.ts';
import { Dataplane, type End } from '../../../harness/dataplane/dataplane.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { installClusterNetworkPolicyCrds } from '../../../harness/network-policy-api.ts';
import { networkPolicies } from '../../../src/kubernetes/resources.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { useDataplane } from '../../support/dataplane.ts';
import { createNamespace, useNamespace } from '../../support/namespace.ts';
import { EXAMPLES, namespaces, workloads } from '../../reachability/documentation-examples.ts';

/** What the harness could leave on the machine: the root namespace's links and iptables rules, and named namespaces. */
function machineState(): string[] {
  const rules = execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((line) => !line.startsWith('#')).map((line) => line.replace(/\[\d+:\d+\]/, ''));
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).split('\n').map((line) => line.split(':')[1]?.trim() ?? '');
  return [...rules, ...links, ...execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')];
}

/** Network namespaces some process still holds: as a thread's namespace or an open file. */
function heldNetns(): Set<number> {
  const held = new Set<number>();
  const note = (path: string) => {
    try {
      const match = /^net:\[(\d+)\]$/.exec(readlinkSync(path));
      if (match) held.add(Number(match[1]));
    } catch { /* the process or file went meanwhile */ }
  };
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    note(`/proc/${pid}/ns/net`);
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) note(`/proc/${pid}/fd/${fd}`);
    } catch { /* gone */ }
  }
  return held;
}

describe('the real-packet dataplane harness', function () {
  this.timeout(300_000);
  const ns = useNamespace('dataplane');

  it('lets every connection through while no policy selects a pod, and leaves nothing behind when killed', async function () {
    const { kubeconfig } = await sharedCluster();
    const client = await clientFor(kubeconfig);
    const before = machineState();
    const dataplane = await Dataplane.start(client, kubeconfig);
    try {
      const a = await dataplane.addPod({ namespace: ns.name, name: 'a', ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] });
      const b = await dataplane.addPod({ namespace: ns.name, name: 'b', ports: [{ port: 8080 }] });
      await dataplane.addHost('outside', ['203.0.113.10'], [{ port: 443 }]);
      await dataplane.caughtUp();
      const outcomes = await Promise.all([
        dataplane.connects(a, b.ip, 8080), dataplane.connects(b, a.ip, 80), dataplane.connects(b, a.ip, 53, 'UDP'),
        dataplane.connects(a, '203.0.113.10', 443), dataplane.connects({ host: 'outside', ip: '203.0.113.10' }, a.ip, 80),
      ]);
      expect(outcomes).to.deep.equal([true, true, true, true, true]);
      expect(dataplane.netns).to.have.length(4);
      expect([...heldNetns()]).to.include.members(dataplane.netns);
      expect(machineState(), 'the pods live in namespaces of their own').to.deep.equal(before);
    } finally {
      await dataplane.stop('SIGKILL');
      await client.close();
    }
    const held = heldNetns();
    expect(dataplane.netns.filter((inode) => held.has(inode)), 'network namespaces still held').to.deep.equal([]);
    expect(machineState()).to.deep.equal(before);
    expect(await kubectlOk(kubeconfig, ['get', 'pods', '-n', ns.name, '-o', 'name'])).to.equal('');
    expect(await kubectlOk(kubeconfig, ['get', 'node', dataplane.nodeName, '--ignore-not-found', '-o', 'name'])).to.equal('');
  });
});

/** The documentation examples' namespaces, pods and policies, in namespaces of this run: `default` is `${prefix}-default`. */
function renamed<T>(value: T, prefix: string): T {
  return JSON.parse(JSON.stringify(value).replace(/"(default|myproject|other)(?=["/])/g, `"${prefix}-$1`)) as T;
}

describe('the real-packet dataplane and the Kubernetes documentation', function () {
  this.timeout(300_000);
  const suite = useDataplane();
  const prefix = `docs${randomBytes(2).toString('hex')}`;
  const examples = renamed(EXAMPLES, prefix);
  const endpoints = new Map<string, End>();

  before(async function () {
    this.timeout(120_000);
    const { dataplane, kubeconfig } = suite;
    for (const [name, labels] of renamed([...namespaces], prefix)) {
      // kubernetes.io/metadata.name is the API server's to set.
      await createNamespace(kubeconfig, name, Object.fromEntries(Object.entries(labels).filter(([key]) => !key.startsWith('kubernetes.io/'))));
    }
    // Each end listens on every port a case connects to it on.
    const cases = examples.flatMap((example) => example.cases);
    const portsOf = (end: string) => [...new Map(cases.filter((c) => c.to === end).map(({ connection: { port, protocol } }) => [`${protocol}/${port}`, { port, protocol: protocol as 'TCP' | 'UDP' }])).values()];
    for (const workload of renamed(workloads, prefix)) {
      const name = `${workload.namespace}/${workload.name}`;
      endpoints.set(name, await dataplane.addPod({ namespace: workload.namespace, name: workload.name, labels: { ...workload.labels }, ports: portsOf(name) }));
    }
    const addresses = [...new Set(cases.flatMap((c) => [c.from, c.to]).filter((end) => !end.includes('/')))];
    await dataplane.addHost('outside', addresses, addresses.flatMap(portsOf));
    for (const ip of addresses) endpoints.set(ip, { host: 'outside', ip });
  });
  after(async function () {
    await kubectlOk(suite.kubeconfig, ['delete', 'namespace', ...renamed([...namespaces.keys()], prefix), '--ignore-not-found', '--wait=false']);
  });

  for (const example of examples) {
    it(`${example.name}: in packets as the documentation describes it`, async function () {
      const { dataplane, client } = suite;
      for (const policy of example.policies) await client.create(networkPolicies, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...policy });
      try {
        await dataplane.caughtUp();
        const outcomes = await Promise.all(example.cases.map(({ from, to, connection }) => {
          const destination = endpoints.get(to)!;
          return dataplane.connects(endpoints.get(from)!, destination.ip, connection.port, connection.protocol as 'TCP' | 'UDP');
        }));
        expect(example.cases.map((c, i) => `${c.what}: ${outcomes[i]}`)).to.deep.equal(example.cases.map((c) => `${c.what}: ${c.allowed}`));
      } finally {
        for (const policy of example.policies) await client.delete(networkPolicies, policy.metadata.name, policy.metadata.namespace);
      }
    });
  }
});

/** A ClusterNetworkPolicy of `version`, its subject and peers namespaces by name. */
const clusterPolicy = (version: string, name: string, tier: 'Admin' | 'Baseline', priority: number, subject: string[], ingress: { action: string; from: unknown[] }[]) => ({
  apiVersion: `policy.networking.k8s.io/${version}`, kind: 'ClusterNetworkPolicy', metadata: { name },
  spec: { tier, priority, subject: { namespaces: byName(subject) }, ingress },
});
const byName = (names: string[]) => ({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: names }] });

describe('the real-packet dataplane and ClusterNetworkPolicy', function () {
  this.timeout(300_000);
  before(async function () {
    this.timeout(600_000); // the first download of the module
    await installClusterNetworkPolicyCrds((await sharedCluster()).kubeconfig);
  });
  const suite = useDataplane({ clusterNetworkPolicies: true });
  const prefix = `cnp${randomBytes(2).toString('hex')}`;
  const [a, b] = [`${prefix}-a`, `${prefix}-b`];

  after(async function () {
    await kubectlOk(suite.kubeconfig, ['delete', 'namespace', a, b, '--ignore-not-found', '--wait=false']);
  });

  it('enforces the Admin tier over NetworkPolicy, Pass down to it, and the Baseline tier only where no NetworkPolicy selects (both served versions)', async function () {
    const { dataplane, kubeconfig, client } = suite;
    for (const name of [a, b]) await createNamespace(kubeconfig, name);
    const x = await dataplane.addPod({ namespace: a, name: 'x', ports: [{ port: 80 }] });
    const y = await dataplane.addPod({ namespace: a, name: 'y', ports: [{ port: 80 }] });
    const z = await dataplane.addPod({ namespace: b, name: 'z', ports: [{ port: 80 }] });
    const trusted = await dataplane.addPod({ namespace: b, name: 'trusted', labels: { app: 'trusted' }, ports: [{ port: 80 }] });
    await client.create(networkPolicies, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all-ingress', namespace: a }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } });
    const policies = [
      clusterPolicy('v1beta1', `${prefix}-deny-b`, 'Admin', 10, [a], [{ action: 'Deny', from: [{ namespaces: byName([b]) }] }]),
      clusterPolicy('v1alpha2', `${prefix}-pass-trusted`, 'Admin', 5, [a], [{ action: 'Pass', from: [{ pods: { namespaceSelector: byName([b]), podSelector: { matchLabels: { app: 'trusted' } } } }] }]),
      clusterPolicy('v1beta1', `${prefix}-baseline-deny`, 'Baseline', 10, [a, b], [{ action: 'Deny', from: [{ namespaces: {} }] }]),
    ];
    await dataplane.caughtUp();
    expect(await Promise.all([dataplane.connects(z, x.ip, 80), dataplane.connects(x, z.ip, 80)]), 'before any ClusterNetworkPolicy').to.deep.equal([true, true]);
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], policies.map((p) => JSON.stringify(p)).join('\n'));
    try {
      await dataplane.caughtUp();
      const cases: [string, Promise<boolean>, boolean][] = [
        ['an Admin Deny wins over the namespace\'s allow-all', dataplane.connects(z, x.ip, 80), false],
        ['an Admin Pass of lower priority number comes first, and hands over to the NetworkPolicy', dataplane.connects(trusted, x.ip, 80), true],
        ['what no Admin rule matches, the NetworkPolicy decides', dataplane.connects(y, x.ip, 80), true],
        ['the Baseline Deny holds where no NetworkPolicy selects the pod', dataplane.connects(x, z.ip, 80), false],
        ['for every peer', dataplane.connects(trusted, z.ip, 80), false],
      ];
      const outcomes = await Promise.all(cases.map(([, outcome]) => outcome));
      expect(cases.map(([what], i) => `${what}: ${outcomes[i]}`)).to.deep.equal(cases.map(([what, , expected]) => `${what}: ${expected}`));
    } finally {
      await kubectlOk(kubeconfig, ['delete', 'clusternetworkpolicies', ...policies.map((p) => p.metadata.name), '--ignore-not-found']);
    }
  });
});
