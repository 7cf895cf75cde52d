// ClusterRingfence proven in real packets: the operator (as its ServiceAccount) generates the
// ClusterNetworkPolicies, kube-network-policies' own Admin and Baseline evaluators enforce them
// around NetworkPolicy on a node of network-namespace pods (harness/dataplane). A tenant that
// allows everything with a NetworkPolicy of its own still cannot reach another tenant or the cloud
// metadata API, while DNS resolves; a namespace with no policy of its own gets the Baseline deny;
// and every connection's fate in packets is `palisade can-reach`'s, and between pods `palisade map`'s.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ClusterRingfenceSpec } from '../../../src/api/clusterringfence.ts';
import { networkPolicies } from '../../../src/kubernetes/resources.ts';
import type { DataplanePod, End, PodPort } from '../../../harness/dataplane/dataplane.ts';
import { installClusterNetworkPolicyCrds } from '../../../harness/network-policy-api.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { palisade } from '../../support/cli.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { useDataplane } from '../../support/dataplane.ts';
import { eventually } from '../../support/eventually.ts';
import { createNamespace } from '../../support/namespace.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';
import { canReach, caseName, inBatches, INTERNET, METADATA, type Case } from './world.ts';

const OUTSIDE: { ip: string; ports: PodPort[] }[] = [
  { ip: INTERNET, ports: [{ port: 443 }] },
  // The metadata API's credentials on 80, and a resolver on 53 (as GKE's Cloud DNS answers there).
  { ip: METADATA, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] },
];

interface MapConnection {
  src: string;
  dst: string;
  ports: Partial<Record<'TCP' | 'UDP' | 'SCTP', [number, number][]>>;
}

const podName = (end: End) => ('host' in end ? end.ip : `${end.namespace}/pod/${end.name}`);

/** Whether the map lists the case's connection (a pod's name is namespace/pod/name there). */
const mapAllows = (mapped: readonly MapConnection[], c: Case) => mapped.some(({ src, dst, ports }) =>
  src === podName(c.from) && dst === podName(c.to) && (ports[c.protocol] ?? []).some(([first, last]) => first <= c.port && c.port <= last));

describe('ClusterRingfence in real packets', function () {
  this.timeout(300_000);
  before(async function () {
    this.timeout(600_000);
    await installClusterNetworkPolicyCrds((await sharedCluster()).kubeconfig);
  });
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=3']);
  const node = useDataplane({ clusterNetworkPolicies: true });
  const run = randomBytes(2).toString('hex');
  const ns = { a1: `crf${run}-a1`, a2: `crf${run}-a2`, b: `crf${run}-b`, c: `crf${run}-c`, monitoring: `crf${run}-monitoring` };
  const spec: ClusterRingfenceSpec = {
    namespaceSelector: { matchLabels: { 'crf-dataplane': run } }, tenantLabel: 'tenant',
    guardrails: {
      isolateTenants: true,
      allow: { from: [{ namespaces: [ns.monitoring], podSelector: { matchLabels: { app: 'prometheus' } }, ports: [{ port: 9090 }] }] },
    },
    defaults: { denyAll: true },
  };
  let pods: Record<'api' | 'worker' | 'web' | 'svc' | 'prometheus' | 'grafana' | 'dns', DataplanePod>;
  let cases: Case[];

  before(async function () {
    this.timeout(120_000);
    const tenant = (name: string) => ({ 'crf-dataplane': run, tenant: name });
    await createNamespace(suite.kubeconfig, ns.a1, tenant('a'));
    await createNamespace(suite.kubeconfig, ns.a2, tenant('a'));
    await createNamespace(suite.kubeconfig, ns.b, tenant('b'));
    // A tenant namespace without the tenant label: a tenant of its own.
    await createNamespace(suite.kubeconfig, ns.c, { 'crf-dataplane': run });
    await createNamespace(suite.kubeconfig, ns.monitoring);
    const add = (namespace: string, name: string, ports: PodPort[], labels: Record<string, string> = { app: name }) => node.dataplane.addPod({ namespace, name, labels, ports });
    pods = {
      api: await add(ns.a1, 'api', [{ port: 8080 }, { port: 9090 }]),
      worker: await add(ns.a2, 'worker', [{ port: 8080 }]),
      web: await add(ns.b, 'web', [{ port: 8080 }]),
      svc: await add(ns.c, 'svc', [{ port: 8080 }, { port: 9090 }]),
      prometheus: await add(ns.monitoring, 'prometheus', [{ port: 9090 }]),
      grafana: await add(ns.monitoring, 'grafana', [{ port: 3000 }]),
      dns: await add('kube-system', `kube-dns-${run}`, [{ port: 53, protocol: 'UDP' }], { 'k8s-app': 'kube-dns' }),
    };
    await node.dataplane.addHost('outside', OUTSIDE.map(({ ip }) => ip), OUTSIDE.flatMap(({ ports }) => ports));
    // Tenant a allows everything, both ways, in both its namespaces.
    for (const namespace of [ns.a1, ns.a2]) {
      await node.client.create(networkPolicies, {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace },
        spec: { podSelector: {}, ingress: [{}], egress: [{}], policyTypes: ['Ingress', 'Egress'] },
      });
    }
    cases = casesAmong([...Object.values(pods), ...OUTSIDE.map(({ ip }) => ({ host: 'outside', ip }))]);
  });
  after(async function () {
    await kubectlOk(suite.kubeconfig, ['delete', 'clusterringfence', 'tenants', '--ignore-not-found', '--wait=true']);
    await kubectlOk(suite.kubeconfig, ['delete', 'namespace', ...Object.values(ns), '--wait=false']);
  });

  const portsOf = (end: End): PodPort[] => ('host' in end ? OUTSIDE.find(({ ip }) => ip === end.ip)!.ports : end.ports);
  /** Every connection with a tenant namespace at one end, to each port its destination listens on. */
  function casesAmong(ends: End[]): Case[] {
    const tenants = new Set([ns.a1, ns.a2, ns.b, ns.c]);
    const inTenant = (end: End) => !('host' in end) && tenants.has(end.namespace);
    return ends.flatMap((from) => ends.flatMap((to) => (from === to || ('host' in from && 'host' in to) || (!inTenant(from) && !inTenant(to)) ? []
      : portsOf(to).map(({ port, protocol = 'TCP' }) => ({ from, to, port, protocol })))));
  }
  const packets = async () => {
    await node.dataplane.caughtUp();
    const outcomes = await Promise.all(cases.map((c) => node.dataplane.connects(c.from, c.to.ip, c.port, c.protocol)));
    return new Map(cases.map((c, i) => [caseName(c), outcomes[i]!]));
  };
  const claimName = (from: DataplanePod, to: End, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => caseName({ from, to, port, protocol });

  it('connects everything before the ClusterRingfence', async function () {
    const outcomes = await packets();
    expect([...outcomes].filter(([, connects]) => !connects).map(([name]) => name)).to.deep.equal([]);
  });

  it('holds its guardrails over a tenant\'s allow-all, and its Baseline deny where a tenant wrote nothing', async function () {
    await kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', metadata: { name: 'tenants' }, spec }));
    await eventually(async () => {
      const { metadata, status } = JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'clusterringfence', 'tenants', '-o', 'json'])) as
        { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };
      expect(status?.observedGeneration).to.equal(metadata.generation);
      expect(status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    }, 30_000);
    const outcomes = await packets();
    const metadata = { host: 'outside', ip: METADATA };
    const internet = { host: 'outside', ip: INTERNET };
    const { api, worker, web, svc, prometheus, grafana, dns } = pods;
    const claims: [string, boolean][] = [
      // Tenant a's allow-all cannot open another tenant, either way, nor the metadata API.
      [claimName(api, web, 8080), false], [claimName(web, api, 8080), false], [claimName(api, svc, 8080), false],
      [claimName(api, metadata, 80), false],
      // Within tenant a, its own policy decides (Pass); so it does for the internet. The metadata
      // address is closed on every port, 53 too: no resolver is listed there.
      [claimName(worker, api, 8080), true], [claimName(api, internet, 443), true], [claimName(api, metadata, 53, 'UDP'), false],
      // DNS resolves from every tenant namespace, with a policy of its own or not.
      [claimName(api, dns, 53, 'UDP'), true], [claimName(svc, dns, 53, 'UDP'), true], [claimName(web, dns, 53, 'UDP'), true],
      // Where the tenant wrote nothing, the Baseline denies; Prometheus, allowed by the guardrails, still scrapes.
      [claimName(svc, internet, 443), false], [claimName(grafana, svc, 9090), false], [claimName(prometheus, svc, 9090), true],
      [claimName(grafana, api, 9090), true], [claimName(web, internet, 443), false], [claimName(web, svc, 8080), false],
    ];
    expect(claims.map(([name]) => `${name}: ${outcomes.get(name)}`)).to.deep.equal(claims.map(([name, connects]) => `${name}: ${connects}`));

    // Every connection, as can-reach reads the live cluster's ClusterNetworkPolicies and NetworkPolicies.
    const decisions = await inBatches(cases, 4, (c) => canReach(suite.kubeconfig, c));
    const disagree = cases.flatMap((c, i) => ((outcomes.get(caseName(c)) ? 'allowed' : 'denied') === decisions[i] ? []
      : [`${caseName(c)}: packets ${outcomes.get(caseName(c))}, can-reach ${decisions[i]}`]));
    expect(cases.length).to.be.at.least(40);
    expect(disagree).to.deep.equal([]);

    // And `palisade map` of the live cluster, for every connection between two pods.
    const map = await palisade('map', '--kubeconfig', suite.kubeconfig, '-o', 'json');
    expect(map.code, map.stderr).to.equal(0);
    const mapped = (JSON.parse(map.stdout) as { connections: MapConnection[] }).connections;
    const betweenPods = cases.filter((c) => !('host' in c.from) && !('host' in c.to));
    const mapDisagrees = betweenPods.flatMap((c) => (mapAllows(mapped, c) === outcomes.get(caseName(c)) ? []
      : [`${caseName(c)}: packets ${outcomes.get(caseName(c))}, map ${mapAllows(mapped, c)}`]));
    expect(betweenPods.length).to.be.at.least(30);
    expect(mapDisagrees).to.deep.equal([]);
  });
});
