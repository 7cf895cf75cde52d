// The world the ringfences are proven in: a tenant namespace with two workloads, the namespaces a
// ringfence names (a database, an ingress controller, a monitoring namespace by label), a
// bystander namespace, a kube-dns pod in kube-system, and two addresses outside the cluster (a
// server on the internet and the cloud metadata API). Each case is one connection, asked three
// ways: real packets, `palisade can-reach` on the live cluster, and the tests' own evaluator.
import { randomBytes } from 'node:crypto';
import { containerPorts, type Dataplane, type DataplanePod, type End, type PodPort, type PodSpec } from '../../../harness/dataplane/dataplane.ts';
import { namespaces as namespaceResource, networkPolicies } from '../../../src/kubernetes/resources.ts';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { palisade } from '../../support/cli.ts';
import { createNamespace } from '../../support/namespace.ts';
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
  from: End;
  to: End;
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
  for (const name of Object.values(names)) await createNamespace(kubeconfig, name, name === names.monitoring ? { 'palisade.dev/monitoring': 'true' } : {});
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

const portsOf = (end: End): PodPort[] => ('host' in end ? OUTSIDE.find(({ ip }) => ip === end.ip)!.ports : end.ports);

/**
 * Every connection with the tenant namespace at one end or both, to every port its destination
 * listens on, and from the bystander to the database (which no ringfence here fences).
 */
export function casesOf(world: World): Case[] {
  const outside = OUTSIDE.map(({ ip }) => ({ host: 'outside', ip }));
  const ends: End[] = [...world.pods, ...outside];
  const inTenant = (end: End) => !('host' in end) && end.namespace === world.namespaces.tenant;
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

export const nameOf = (end: End) => ('host' in end ? end.ip : `${end.namespace}/${end.name}`);
export const caseName = (c: Case) => `${nameOf(c.from)} -> ${nameOf(c.to)} ${c.protocol} ${c.port}`;

/**
 * can-reach's decision. Undetermined is its answer where only an ipBlock holding a pod's own
 * address would allow the connection, which NetworkPolicy leaves to the implementation.
 */
export type Decision = 'allowed' | 'denied' | 'undetermined';

/** `palisade can-reach` on the live cluster, as a user asks it. */
export async function canReach(kubeconfig: string, c: Case): Promise<Decision> {
  const run = await palisade('can-reach', nameOf(c.from), nameOf(c.to), '--port', String(c.port), '--protocol', c.protocol, '--kubeconfig', kubeconfig, '-o', 'json');
  if (run.code === 2) throw new Error(`palisade can-reach ${caseName(c)}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { decision: Decision }).decision;
}

/** The tests' evaluator's view of the live cluster: namespaces' labels and every NetworkPolicy. */
export async function evaluatorCluster(client: KubeClient): Promise<Cluster> {
  const [namespaceList, policyList] = await Promise.all([client.list(namespaceResource), client.list(networkPolicies)]);
  return {
    namespaces: Object.fromEntries((namespaceList.items ?? []).map(({ metadata }) => [metadata.name, metadata.labels ?? {}])),
    policies: (policyList.items ?? []) as unknown as Policy[],
  };
}

/** An address that no ipBlock of these worlds holds (they are all IPv4). */
const OUTSIDE_EVERY_BLOCK = '2001:db8::1';

const evaluatorEndpoint = (end: End, podIP: string): Endpoint => ('host' in end ? { ip: end.ip }
  : { pod: { namespace: end.namespace, labels: end.labels, ip: podIP, ports: containerPorts(end.ports) } });

/** The evaluator's verdict on a case; with `ipBlocksHoldPods` false, as if no ipBlock held a pod's address. */
export function evaluatorAllows(cluster: Cluster, c: Case, ipBlocksHoldPods = true): boolean {
  const ip = (end: End) => (ipBlocksHoldPods ? end.ip : OUTSIDE_EVERY_BLOCK);
  return allowed(cluster, evaluatorEndpoint(c.from, ip(c.from)), evaluatorEndpoint(c.to, ip(c.to)), c.port, c.protocol);
}

/** A case's three answers. */
export interface Answers {
  name: string;
  packets: boolean;
  /** Not asked where the test is about packets alone. */
  canReach?: Decision;
  evaluator: boolean;
  /** Between two pods, allowed only because an ipBlock holds a pod's address: can-reach must say undetermined. */
  onlyByPodAddress: boolean;
}

export async function inBatches<T, R>(items: readonly T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
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
  return cases.map((c, i) => {
    const evaluator = evaluatorAllows(cluster, c);
    const betweenPods = !('host' in c.from) && !('host' in c.to);
    return {
      name: caseName(c), packets: packets[i]!, ...reach[i] ? { canReach: reach[i] } : {},
      evaluator, onlyByPodAddress: betweenPods && evaluator && !evaluatorAllows(cluster, c, false),
    };
  });
}

/**
 * Where the three disagree. can-reach answers undetermined exactly where only an ipBlock holding a
 * pod's address allows the connection (NetworkPolicy leaves that to the implementation;
 * kube-network-policies, like the evaluator, matches it).
 */
export function disagreements(answers: readonly Answers[]): string[] {
  return answers.flatMap(({ name, packets, canReach, evaluator, onlyByPodAddress }) => {
    const reach = onlyByPodAddress ? 'undetermined' : packets ? 'allowed' : 'denied';
    return packets === evaluator && (canReach === undefined || canReach === reach) ? []
      : [`${name}: packets ${packets}, can-reach ${canReach ?? 'not asked'}, evaluator ${evaluator}${onlyByPodAddress ? ' (only by a pod\'s address)' : ''}`];
  });
}
