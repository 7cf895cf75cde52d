// The real-packet harness itself (harness/dataplane): with no policy it lets everything through,
// so a denial elsewhere is a policy's; it leaves nothing behind on the machine or the API server,
// even when killed; and the NetworkPolicy examples of the Kubernetes documentation behave in
// packets as the documentation says (the cases test/reachability checks its evaluators with).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { clientFor } from '../../../harness/client.ts';
import { Dataplane, type End } from '../../../harness/dataplane/dataplane.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
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
