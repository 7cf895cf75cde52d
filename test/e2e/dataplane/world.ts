// The world the ringfences are proven in: a tenant namespace with two workloads, the namespaces a
// ringfence names (a database, an ingress controller, a monitoring namespace by label), a
// bystander namespace, a kube-dns pod in kube-system, and two addresses outside the cluster (a
// server on the internet and the cloud metadata API). Each case is one connection, asked three
// ways: real packets, `palisade can-reach` on the live cluster, and the tests' own evaluator.
import { randomBytes } from 'node:crypto';
import type { Dataplane, DataplanePod, PodPort, PodSpec } from '../../../harness/dataplane/dataplane.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { namespaces as namespaceResource, networkPolicies } from '../../../src/kubernetes/resources.ts';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { palisade } from '../../support/cli.ts';
import { allowed, type Cluster, type Endpoint, type Policy } from '../../support/network-policy.ts';

export const INTERNET = '203.0.113.10';
export const METADATA = '169.254.169.254';

export interface World {
  /** The namespaces by role: tenant, db, ingress, monitoring, bystander. */
  namespaces: Record<'tenant' | 'db' | 'ingress' | 'monitoring' | 'bystander', string>;
  pods: DataplanePod[];
}

/** One connection: from a pod or an outside address, to a pod or an outside address, on a port. */
export interface Case {
  from: DataplanePod | { host: string; ip: string };
  to: DataplanePod | { host: string; ip: string };
  port: number;
  protocol: 'TCP' | 'UDP';
}

const OUTSIDE: { ip: string; ports: PodPort[] }[] = [
  { ip: INTERNET, ports: [{ port: 443 }, { port: 80 }, { port: 53, protocol: 'UDP' }] },
  { ip: METADATA, ports: [{ port: 80 }, { port: 443 }] },
];

/** Makes the namespaces and pods (on `dataplane`'s node) and the outside host. */
export async function makeWorld(dataplane: Dataplane, kubeconfig: string): Promise<World> {
  const prefix = `dp${randomBytes(2).toString('hex')}`;
  const names = { tenant: `${prefix}-payments`, db: `${prefix}-payments-db`, ingress: `${prefix}-ingress-nginx`, monitoring: `${prefix}-monitoring`, bystander: `${prefix}-other` };
  for (const name of Object.values(names)) {
    await kubectlOk(kubeconfig, ['create', 'namespace', name]);
    // Pods are admitted once kube-controller-manager has given the namespace its default ServiceAccount.
    await kubectlOk(kubeconfig, ['wait', '--for=create', 'serviceaccount/default', '-n', name, '--timeout=60s']);
  }
  await kubectlOk(kubeconfig, ['label', 'namespace', names.monitoring, 'palisade.dev/monitoring=true']);
  const specs: PodSpec[] = [
    { namespace: names.tenant, name: 'api', labels: { app: 'api' }, ports: [{ port: 8080, name: 'http' }, { port: 8443 }, { port: 9090 }] },
    { namespace: names.tenant, name: 'worker', labels: { app: 'worker' }, ports: [{ port: 8080 }] },
    { namespace: names.db, name: 'postgres', labels: { app: 'postgres' }, ports: [{ port: 5432 }, { port: 443 }] },
    { namespace: names.ingress, name: 'controller', labels: { app: 'ingress-nginx' }, ports: [{ port: 80 }] },
    { namespace: names.monitoring, name: 'prometheus', labels: { 'app.kubernetes.io/name': 'prometheus' }, ports: [{ port: 9090 }] },
    { namespace: names.monitoring, name: 'grafana', labels: { app: 'grafana' }, ports: [{ port: 3000 }] },
    { namespace: names.bystander, name: 'client', labels: { app: 'client' }, ports: [{ port: 8080 }] },
    { namespace: 'kube-system', name: `kube-dns-${prefix}`, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }] },
  ];
  const pods: DataplanePod[] = [];
  for (const spec of specs) pods.push(await dataplane.addPod(spec));
  await dataplane.addHost('outside', OUTSIDE.map(({ ip }) => ip), OUTSIDE.flatMap(({ ports }) => ports));
  return { namespaces: names, pods };
}

const portsOf = (end: Case['to']): PodPort[] => ('host' in end ? OUTSIDE.find(({ ip }) => ip === end.ip)!.ports : end.ports);

/**
 * Every connection with the tenant namespace at one end or both, to every port its destination
 * listens on, and from the bystander to the database (which no ringfence here fences).
 */
export function casesOf(world: World): Case[] {
  const outside = OUTSIDE.map(({ ip }) => ({ host: 'outside', ip }));
  const ends: Case['to'][] = [...world.pods, ...outside];
  const inTenant = (end: Case['to']) => !('host' in end) && end.namespace === world.namespaces.tenant;
  const cases: Case[] = [];
  for (const from of ends) {
    for (const to of ends) {
      if (from === to || ('host' in from && 'host' in to)) continue;
      const bystanderToDb = !('host' in from) && from.namespace === world.namespaces.bystander && !('host' in to) && to.namespace === world.namespaces.db;
      if (!inTenant(from) && !inTenant(to) && !bystanderToDb) continue;
      for (const { port, protocol = 'TCP' } of portsOf(to)) cases.push({ from, to, port, protocol });
    }
  }
  return cases;
}

const nameOf = (end: Case['to']) => ('host' in end ? end.ip : `${end.namespace}/${end.name}`);
export const caseName = (c: Case) => `${nameOf(c.from)} -> ${nameOf(c.to)} ${c.protocol} ${c.port}`;

/**
 * can-reach's decision. Undetermined is its answer where only an ipBlock holding a pod's own
 * address would allow the connection, which NetworkPolicy leaves to the implementation.
 */
type Decision = 'allowed' | 'denied' | 'undetermined';

async function canReach(kubeconfig: string, c: Case): Promise<Decision> {
  const run = await palisade('can-reach', nameOf(c.from), nameOf(c.to), '--port', String(c.port), '--protocol', c.protocol, '--kubeconfig', kubeconfig, '-o', 'json');
  if (run.code === 2) throw new Error(`palisade can-reach ${caseName(c)}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { decision: Decision }).decision;
}

/** The tests' evaluator's view of the live cluster: namespaces' labels and every NetworkPolicy. */
async function evaluatorCluster(client: KubeClient): Promise<Cluster> {
  const [namespaceList, policyList] = await Promise.all([client.list(namespaceResource), client.list(networkPolicies)]);
  return {
    namespaces: Object.fromEntries((namespaceList.items ?? []).map(({ metadata }) => [metadata.name, metadata.labels ?? {}])),
    policies: (policyList.items ?? []) as unknown as Policy[],
  };
}

const evaluatorEndpoint = (end: Case['to']): Endpoint => ('host' in end ? { ip: end.ip } : { pod: { namespace: end.namespace, labels: end.labels, ip: end.ip, ports: end.ports.map(({ port, protocol = 'TCP', name }) => ({ containerPort: port, protocol, ...name ? { name } : {} })) } });

/** A case's three answers. */
export interface Answers {
  name: string;
  packets: boolean;
  /** Not asked where the test is about packets alone. */
  canReach?: Decision;
  evaluator: boolean;
}

async function inBatches<T, R>(items: readonly T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...await Promise.all(items.slice(i, i + size).map(each)));
  return results;
}

/** Each case asked of real packets (all at once), of can-reach (a few processes at a time) unless told not to, and of the evaluator. */
export async function answer(dataplane: Dataplane, client: KubeClient, kubeconfig: string, cases: readonly Case[], options: { canReach: boolean }): Promise<Answers[]> {
  await dataplane.caughtUp();
  const cluster = await evaluatorCluster(client);
  const packets = await Promise.all(cases.map((c) => dataplane.connects(c.from, c.to.ip, c.port, c.protocol)));
  const reach = options.canReach ? await inBatches(cases, 4, (c) => canReach(kubeconfig, c)) : [];
  return cases.map((c, i) => ({
    name: caseName(c), packets: packets[i]!, ...reach[i] ? { canReach: reach[i] } : {},
    evaluator: allowed(cluster, evaluatorEndpoint(c.from), evaluatorEndpoint(c.to), c.port, c.protocol),
  }));
}

/**
 * Where the three disagree. Where can-reach says undetermined, kube-network-policies has decided
 * (it matches ipBlocks against pod addresses, as the evaluator does): packets and evaluator must agree.
 */
export function disagreements(answers: readonly Answers[]): string[] {
  return answers.flatMap(({ name, packets, canReach, evaluator }) => {
    const reach = canReach === undefined || canReach === 'undetermined' ? packets : canReach === 'allowed';
    return packets === reach && packets === evaluator ? [] : [`${name}: packets ${packets}, can-reach ${canReach ?? 'not asked'}, evaluator ${evaluator}`];
  });
}
