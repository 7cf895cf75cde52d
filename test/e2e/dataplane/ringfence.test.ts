// NamespaceRingfences proven in real packets: the operator (as its ServiceAccount) generates the
// policies, kube-network-policies' engine enforces them on a node of network-namespace pods
// (harness/dataplane), what each ringfence claims holds, and every connection's fate in packets
// equals `palisade can-reach`'s and the tests' evaluator's. Also: nothing is denied before a
// ringfence or after it is deleted; a deleted default-deny comes back and closes again what it
// closed; a spec change opens exactly its port.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { eventually } from '../../support/eventually.ts';
import { useDataplane } from '../../support/dataplane.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';
import { answer, caseName, casesOf, disagreements, evaluatorAllows, evaluatorCluster, INTERNET, makeWorld, METADATA, type Answers, type Case, type World } from './world.ts';

const MANAGED = 'app.kubernetes.io/managed-by=palisade';

/** examples/namespaceringfence.yaml, with its namespaces renamed to the world's. */
function examplesRingfence(world: World): string {
  const renamed = readFileSync(new URL('../../../examples/namespaceringfence.yaml', import.meta.url), 'utf8')
    .replaceAll('payments-db', world.namespaces.db)
    .replaceAll('ingress-nginx', world.namespaces.ingress)
    .replace(/^(\s+(?:name|namespace)): payments$/gm, `$1: ${world.namespaces.tenant}`);
  if (/: payments$/m.test(renamed) || !renamed.includes(`namespace: ${world.namespaces.tenant}\n`)) throw new Error('examples/namespaceringfence.yaml changed shape: rename its namespaces here');
  return renamed;
}

const ringfence = (world: World, spec: unknown) => JSON.stringify({
  apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'ringfence', namespace: world.namespaces.tenant }, spec,
});

/** What a ringfence promises, in its own words: "FROM -> TO PORT[/UDP]" for pods by name, internet or metadata. */
type Claims = Record<string, boolean>;

interface Shape {
  manifest: (world: World) => string;
  claims: Claims;
}

const SHAPES: Record<string, Shape> = {
  'the examples\' ringfence': {
    manifest: examplesRingfence,
    claims: {
      'worker -> api 8080': true, 'api -> kube-dns 53/UDP': true, 'api -> kube-dns 53': true, 'api -> postgres 5432': true,
      'api -> internet 443': true, 'api -> internet 80': false, 'api -> metadata 443': false,
      'controller -> api 8443': true, 'controller -> api 8080': false, 'prometheus -> api 9090': true, 'grafana -> api 9090': false,
      'client -> api 8080': false, 'internet -> api 8443': false, 'client -> postgres 5432': true,
    },
  },
  'the defaults (deny, same namespace, DNS to kube-dns)': {
    manifest: (world) => ringfence(world, {}),
    claims: { 'worker -> api 8080': true, 'api -> kube-dns 53/UDP': true, 'api -> kube-dns 53': true, 'api -> postgres 5432': false, 'api -> internet 443': false, 'client -> api 8080': false },
  },
  'peers by name and by selector, with ports': {
    manifest: (world) => ringfence(world, {
      ingress: {
        allowSameNamespace: false,
        from: [
          { namespaces: [world.namespaces.bystander], podSelector: { matchLabels: { app: 'client' } }, ports: [{ port: 8080 }] },
          { namespaceSelector: { matchLabels: { 'palisade.dev/monitoring': 'true' } }, ports: [{ port: 9090 }, { port: 8443 }] },
          { podSelector: { matchLabels: { app: 'worker' } }, ports: [{ port: 8443 }] },
        ],
      },
      egress: {
        allowSameNamespace: false,
        dns: { enabled: false },
        to: [
          { namespaces: [world.namespaces.db], podSelector: { matchLabels: { app: 'postgres' } }, ports: [{ port: 5432 }] },
          { namespaceSelector: { matchLabels: { 'palisade.dev/monitoring': 'true' } }, podSelector: { matchLabels: { app: 'grafana' } }, ports: [{ port: 3000, endPort: 3001 }] },
        ],
      },
    }),
    claims: {
      'client -> api 8080': true, 'client -> api 8443': false, 'grafana -> api 9090': true, 'prometheus -> api 8443': true, 'prometheus -> api 8080': false,
      // The worker may send to api's 8443 (ingress), but its own egress allows no pod of its namespace.
      'worker -> api 8443': false, 'api -> postgres 5432': true, 'api -> grafana 3000': true, 'api -> prometheus 9090': false, 'api -> kube-dns 53/UDP': false,
    },
  },
  'ipBlock egress with the metadata cut-out': {
    manifest: (world) => ringfence(world, {
      egress: {
        blockCloudMetadata: true,
        to: [
          { ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }, { port: 80 }] },
          { ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.0/28'] }, ports: [{ port: 53, protocol: 'UDP' }] },
        ],
      },
    }),
    claims: {
      'api -> internet 443': true, 'api -> internet 80': true, 'api -> metadata 443': false, 'api -> metadata 80': false,
      'api -> internet 53/UDP': false, 'api -> kube-dns 53/UDP': true, 'api -> postgres 5432': false,
    },
  },
};

/** A claim's case name: pods by name, the two outside addresses by role. */
function claimedCase(world: World, claim: string): string {
  const [, from, to, port, udp] = /^(\S+) -> (\S+) (\d+)(\/UDP)?$/.exec(claim) ?? [];
  const end = (name: string | undefined) => (name === 'internet' ? { host: 'outside', ip: INTERNET } : name === 'metadata' ? { host: 'outside', ip: METADATA }
    : world.pods.find((pod) => pod.name === name || pod.labels['k8s-app'] === name)!);
  return caseName({ from: end(from), to: end(to), port: Number(port), protocol: udp ? 'UDP' : 'TCP' });
}

describe('NamespaceRingfence in real packets', function () {
  this.timeout(300_000);
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=3']);
  const node = useDataplane();
  let world: World;
  let cases: Case[];

  before(async function () {
    this.timeout(120_000);
    world = await makeWorld(node.dataplane, suite.kubeconfig);
    cases = casesOf(world);
  });
  after(async function () {
    if (world) await kubectlOk(suite.kubeconfig, ['delete', 'namespace', ...Object.values(world.namespaces), '--wait=false']);
  });

  const kubectl = (...args: string[]) => kubectlOk(suite.kubeconfig, args);
  const pod = (name: string) => world.pods.find((p) => p.name === name)!;
  const apply = async (manifest: string) => {
    await kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'], manifest);
    await eventually(async () => {
      const fence = JSON.parse(await kubectl('get', 'namespaceringfence', 'ringfence', '-n', world.namespaces.tenant, '-o', 'json')) as
        { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };
      expect(fence.status?.observedGeneration).to.equal(fence.metadata.generation);
      expect(fence.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    }, 30_000);
  };
  const removeRingfence = async () => {
    await kubectl('delete', 'namespaceringfence', 'ringfence', '-n', world.namespaces.tenant, '--ignore-not-found');
    await eventually(async () => expect(await kubectl('get', 'networkpolicies', '-n', world.namespaces.tenant, '-l', MANAGED, '-o', 'name')).to.equal(''), 30_000);
  };
  // can-reach is compared in the shapes' tests; the others are about packets (and the evaluator).
  const answers = (canReach = false) => answer(node.dataplane, node.client, suite.kubeconfig, cases, { canReach });
  const verdicts = (all: readonly Answers[]) => all.map(({ name, packets }) => `${name}: ${packets ? 'connects' : 'denied'}`);

  it('connects everything before any ringfence', async function () {
    const all = await answers();
    expect(disagreements(all)).to.deep.equal([]);
    expect(verdicts(all).filter((line) => line.endsWith('denied'))).to.deep.equal([]);
  });

  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`${name}: in packets it does what it claims, and every connection's fate is can-reach's and the evaluator's`, async function () {
      await apply(shape.manifest(world));
      try {
        const all = await answers(true);
        expect(all.length).to.be.at.least(30);
        const outcome = new Map(all.map((a) => [a.name, a.packets]));
        const claims = Object.entries(shape.claims).map(([claim, connects]) => [claimedCase(world, claim), connects] as const);
        expect(claims.map(([claim]) => `${claim}: ${outcome.get(claim)}`)).to.deep.equal(claims.map(([claim, connects]) => `${claim}: ${connects}`));
        expect(disagreements(all), verdicts(all).join('\n')).to.deep.equal([]);
      } finally {
        await removeRingfence();
      }
    });
  }

  it('puts a deleted default-deny back within seconds, and the connection it denied fails again', async function () {
    // Only the default-deny isolates the tenant's ingress here, so deleting it would open it.
    await apply(ringfence(world, { ingress: { allowSameNamespace: false } }));
    try {
      const forbidden: Case = { from: pod('client'), to: pod('api'), port: 8080, protocol: 'TCP' };
      const cluster = await evaluatorCluster(node.client);
      const withoutDeny = { ...cluster, policies: cluster.policies.filter((p) => !(p.metadata.namespace === world.namespaces.tenant && p.metadata.name === 'palisade-default-deny')) };
      expect(evaluatorAllows(withoutDeny, forbidden), 'without the default-deny, it would connect').to.equal(true);
      await node.dataplane.caughtUp();
      expect(await node.dataplane.connects(forbidden.from, forbidden.to.ip, 8080)).to.equal(false);
      const uid = await kubectl('get', 'networkpolicy', 'palisade-default-deny', '-n', world.namespaces.tenant, '-o', 'jsonpath={.metadata.uid}');
      await kubectl('delete', 'networkpolicy', 'palisade-default-deny', '-n', world.namespaces.tenant);
      await eventually(async () => {
        const again = await kubectl('get', 'networkpolicy', 'palisade-default-deny', '-n', world.namespaces.tenant, '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found');
        expect(again).to.not.be.oneOf(['', uid]);
      }, 10_000, 100);
      await node.dataplane.caughtUp();
      expect(await node.dataplane.connects(forbidden.from, forbidden.to.ip, 8080)).to.equal(false);
    } finally {
      await removeRingfence();
    }
  });

  it('a spec change opens exactly its new port, in packets', async function () {
    const shape = SHAPES['peers by name and by selector, with ports']!.manifest;
    await apply(shape(world));
    try {
      const before = await answers();
      const widened = JSON.parse(shape(world)) as { spec: { ingress: { from: { ports: { port: number }[] }[] } } };
      widened.spec.ingress.from[0]!.ports.push({ port: 8443 });
      await apply(JSON.stringify(widened));
      const after = await answers(true);
      expect(disagreements(after)).to.deep.equal([]);
      const opened = after.filter((a, i) => a.packets !== before[i]!.packets).map((a) => `${a.name}: ${before.find((b) => b.name === a.name)!.packets} -> ${a.packets}`);
      expect(opened).to.deep.equal([`${caseName({ from: pod('client'), to: pod('api'), port: 8443, protocol: 'TCP' })}: false -> true`]);
    } finally {
      await removeRingfence();
    }
  });

  it('connects everything again once the ringfence is deleted', async function () {
    await apply(examplesRingfence(world));
    const fenced = await answers();
    expect(fenced.some((a) => !a.packets)).to.equal(true);
    await removeRingfence();
    const all = await answers();
    expect(disagreements(all)).to.deep.equal([]);
    expect(verdicts(all).filter((line) => line.endsWith('denied'))).to.deep.equal([]);
  });
});
