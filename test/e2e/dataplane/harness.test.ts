// The real-packet harness itself (harness/dataplane): with no policy it lets everything through,
// so a denial elsewhere is a policy's; it leaves nothing behind on the machine or the API server,
// even when killed; and the NetworkPolicy example of the Kubernetes documentation behaves in
// packets as the documentation says.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { clientFor } from '../../../harness/client.ts';
import { Dataplane } from '../../../harness/dataplane/dataplane.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { networkPolicies } from '../../../src/kubernetes/resources.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { useDataplane } from '../../support/dataplane.ts';
import { useNamespace } from '../../support/namespace.ts';

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

// https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource,
// in the test's namespace rather than `default`.
const documentationExample = (namespace: string) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'test-network-policy', namespace },
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
});

describe('the real-packet dataplane and the Kubernetes documentation', function () {
  this.timeout(300_000);
  const ns = useNamespace('docs');
  const suite = useDataplane();

  it('enforces the documentation\'s NetworkPolicy example as the documentation describes it', async function () {
    const { dataplane, kubeconfig } = suite;
    const project = `${ns.name}-myproject`;
    await kubectlOk(kubeconfig, ['create', 'namespace', project]);
    try {
      await kubectlOk(kubeconfig, ['label', 'namespace', project, 'project=myproject']);
      const db = await dataplane.addPod({ namespace: ns.name, name: 'db', labels: { role: 'db' }, ports: [{ port: 6379 }, { port: 80 }] });
      const frontend = await dataplane.addPod({ namespace: ns.name, name: 'frontend', labels: { role: 'frontend' }, ports: [{ port: 80 }] });
      const other = await dataplane.addPod({ namespace: ns.name, name: 'other', ports: [{ port: 80 }] });
      const inProject = await dataplane.addPod({ namespace: project, name: 'client', ports: [{ port: 80 }] });
      await dataplane.addHost('in-block', ['172.17.0.5'], []);
      await dataplane.addHost('excepted', ['172.17.1.5'], []);
      await dataplane.addHost('egress-target', ['10.0.0.5'], [{ port: 5978 }, { port: 80 }]);
      await suite.client.create(networkPolicies, documentationExample(ns.name));
      await dataplane.caughtUp();
      const cases: [string, Promise<boolean>, boolean][] = [
        ['frontend pods of its namespace reach db on TCP 6379', dataplane.connects(frontend, db.ip, 6379), true],
        ['only on TCP 6379', dataplane.connects(frontend, db.ip, 80), false],
        ['pods of a namespace labelled project=myproject reach it', dataplane.connects(inProject, db.ip, 6379), true],
        ['other pods of its namespace do not', dataplane.connects(other, db.ip, 6379), false],
        ['addresses in 172.17.0.0/16 reach it', dataplane.connects({ host: 'in-block', ip: '172.17.0.5' }, db.ip, 6379), true],
        ['except 172.17.1.0/24', dataplane.connects({ host: 'excepted', ip: '172.17.1.5' }, db.ip, 6379), false],
        ['db reaches 10.0.0.0/24 on TCP 5978', dataplane.connects(db, '10.0.0.5', 5978), true],
        ['only on TCP 5978', dataplane.connects(db, '10.0.0.5', 80), false],
        ['and nothing else', dataplane.connects(db, frontend.ip, 80), false],
        ['pods the policy does not select are not isolated', dataplane.connects(frontend, other.ip, 80), true],
      ];
      const outcomes = await Promise.all(cases.map(([, outcome]) => outcome));
      expect(cases.map(([what], i) => `${what}: ${outcomes[i]}`)).to.deep.equal(cases.map(([what, , expected]) => `${what}: ${expected}`));
    } finally {
      await kubectlOk(kubeconfig, ['delete', 'pods', '--all', '-n', project, '--grace-period=0', '--force']);
      await kubectlOk(kubeconfig, ['delete', 'namespace', project, '--wait=false']);
    }
  });
});
