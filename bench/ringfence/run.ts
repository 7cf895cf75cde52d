// 1,000 namespaces with a NamespaceRingfence each, against a real control plane: the time from
// apply to all Ready, API requests per ringfence, writes on a resync (must be 0) and the
// operator's peak RSS; the floor to compare with, server-side applying the same rendered objects
// directly with maximal concurrency; and the least any operator could write (the ringfences, their
// objects and their status, written directly): all in the same run, with each process's CPU.
import { setTimeout as sleep } from 'node:timers/promises';
import { ringfences } from '../../src/api/resources.ts';
import { render } from '../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../src/api/namespaceringfence.ts';
import { apply, type ApplyConfiguration, type ApplyOptions } from '../../src/runtime/apply.ts';
import type { KubeClient, KubeObject, Resource } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { httpGet, metric, stopOperator } from '../../harness/operator.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { cpuMeter, operatorNodeOptions, peakRssMiB, startShippedOperator, writesOnResync } from '../operator.ts';

const COUNT = Number(process.env.RINGFENCES ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const IN_FLIGHT = 64;
const RESYNC_SECONDS = 60;
const spec: NamespaceRingfenceSpec = {
  ingress: { from: [{ namespaces: ['ingress-nginx'], ports: [{ port: 8443 }] }] },
  egress: { to: [{ namespaces: ['db'], ports: [{ port: 5432 }] }, { ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] },
  access: { editors: [{ kind: 'Group', name: 'devs' }], viewers: [{ kind: 'Group', name: 'auditors' }] },
};
const resources: Record<string, Resource> = {
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
  NamespaceRingfence: ringfences,
};

const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const namespaceObjects = (prefix: string) => Array.from({ length: COUNT }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${i}` } }));
const fencesIn = (prefix: string) => namespaceObjects(prefix).map((ns) => ({
  apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence', namespace: ns.metadata.name }, spec,
}));

/** Server-side applies `objects` with IN_FLIGHT requests at a time: as fast as the API server takes them. */
function applyAll(client: KubeClient, objects: ApplyConfiguration[], options: Pick<ApplyOptions, 'subresource'> = {}) {
  return inParallel(objects, IN_FLIGHT, (object) => apply(client, resources[object.kind]!, object, { force: true, ...options }));
}

/** What a ringfence renders to, owned by it when `fence` carries its uid (as the operator's are). */
const rendered = (fence: { metadata: { name: string; namespace: string; uid?: string } }) => {
  const { networkPolicies, roleBindings } = render({ metadata: fence.metadata, spec });
  return [...networkPolicies, ...roleBindings];
};

async function inBatches<T>(items: T[], size: number, each: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await each(items.slice(i, i + size));
}

type FenceStatus = { observedGeneration?: number; conditions?: { type: string; status: string }[] };
type Fence = KubeObject & { status?: FenceStatus };

/** Ringfences Ready at their current generation, counted from a watch: polling lists would load the API server. */
function readyCounter(informer: Informer<Fence>): () => number {
  return () => informer.list().filter((fence) => fence.status?.observedGeneration === fence.metadata.generation
    && fence.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/**
 * Waits for kube-controller-manager's own writes for each new namespace (its ServiceAccount
 * "default" and ConfigMap "kube-root-ca.crt", 20 a second per controller): measured alongside,
 * they would slow whichever phase they overlap.
 */
async function settled(client: KubeClient) {
  const namespaceCount = (await client.list({ group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false })).items?.length ?? 0;
  const made = [
    { resource: { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true }, name: 'default' },
    { resource: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true }, name: 'kube-root-ca.crt' },
  ];
  const count = async ({ resource, name }: (typeof made)[number]) =>
    (await client.list(resource, { fieldSelector: `metadata.name=${name}` })).items?.length ?? 0;
  while ((await Promise.all(made.map(count))).some((n) => n < namespaceCount)) await sleep(2000);
}

/** How long `work` takes, and the CPU seconds each of `pids` spends meanwhile. */
async function timed(pids: Record<string, number | undefined>, work: () => Promise<unknown>) {
  const cpu = await cpuMeter(pids);
  const started = performance.now();
  await work();
  return { seconds: +((performance.now() - started) / 1000).toFixed(1), cpuSeconds: await cpu() };
}

/** The operator path: ringfences applied to a running operator, timed until all are Ready. */
async function throughOperator(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, fenceInformer: Informer<Fence>) {
  const ready = readyCounter(fenceInformer);
  const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--concurrency=${CONCURRENCY}`, `--resync=${RESYNC_SECONDS}`]);
  try {
    // A running operator, as in a cluster: its caches have synced before the first ringfence lands.
    while ((await httpGet(operator.port, '/readyz')).status !== 200) await sleep(100);
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const untilReady = await timed({ ...pids, operator: operator.child.pid }, async () => {
      // Applied like the floor's objects: kubectl applies one object after another, and would measure itself.
      await applyAll(client, fencesIn('bench'));
      while (ready() < COUNT) await sleep(100);
    });
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;
    const reconciles = await metric(operator.port, 'controller_runtime_reconcile_total', { controller: 'namespaceringfence' });
    return {
      untilReady, status: fenceInformer.list()[0]!.status!,
      apiRequestsPerRingfence: +(requests / COUNT).toFixed(1), reconcilesPerRingfence: +(reconciles / COUNT).toFixed(1),
      writesOnResync: await writesOnResync(operator, 'namespaceringfence', COUNT),
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    };
  } finally {
    await stopOperator(operator);
  }
}

/**
 * The least any operator could write: each ringfence, its objects (owned by it) and a Ready status,
 * applied straight with no operator running, as fast as the API server takes them.
 */
async function writtenDirectly(client: KubeClient, status: FenceStatus) {
  const fences = fencesIn('direct');
  const owners: KubeObject[] = [];
  await inParallel(fences, IN_FLIGHT, async (fence) => { owners.push(await apply(client, ringfences, fence, { force: true })); });
  await applyAll(client, owners.flatMap(({ metadata: { name, namespace = '', uid } }) => rendered({ metadata: { name, namespace, uid } })));
  // The status alone, as the controller sends it.
  await applyAll(client, fences.map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, metadata, status })), { subresource: 'status' });
}

const plane = await ControlPlane.start();
try {
  const kubeconfig = plane.kubeconfig;
  await installCrds(kubeconfig);
  for (const prefix of ['floor', 'bench', 'direct']) {
    await inBatches(namespaceObjects(prefix), 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));
  }
  const client = await clientFor(kubeconfig);
  // Watches the ringfences in every phase, so that serving it weighs on each alike.
  const fenceInformer = new Informer<Fence>(client, { resource: ringfences });
  fenceInformer.start();
  try {
    await settled(client);
    const pids = { ...plane.pids, bench: process.pid };
    // The floor: the same objects, applied straight, as fast as the API server takes them.
    const floor = await timed(pids, () => applyAll(client, fencesIn('floor').flatMap((fence) => rendered(fence))));
    const ours = await throughOperator(client, kubeconfig, pids, fenceInformer);
    const direct = await timed(pids, () => writtenDirectly(client, ours.status));
    const { status: _, untilReady, ...figures } = ours;
    console.log(JSON.stringify({
      benchmark: 'ringfence', ringfences: COUNT, concurrency: CONCURRENCY, nodeOptions: (await operatorNodeOptions()).join(' '),
      secondsToAllReady: untilReady.seconds, floorSeconds: floor.seconds, ratioToFloor: +(untilReady.seconds / floor.seconds).toFixed(2),
      directSeconds: direct.seconds, ratioToDirect: +(untilReady.seconds / direct.seconds).toFixed(2),
      ...figures,
      cpuSeconds: { floor: floor.cpuSeconds, untilReady: untilReady.cpuSeconds, direct: direct.cpuSeconds },
    }));
  } finally {
    await fenceInformer.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
