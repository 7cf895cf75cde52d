// 1,000 namespaces (RINGFENCES) with a NamespaceRingfence each, against a real control plane: the
// time from apply to all Ready, API requests per ringfence, writes on a resync (must be 0) and the
// operator's peak RSS; a restart over them (seconds to /readyz, writes: must be 0); the floor to
// compare with, server-side applying the same rendered objects directly with maximal concurrency;
// and the least any operator could write (the ringfences, their objects and their status, written
// directly): all in the same run, with each process's CPU, and ROUNDS pairs of a Palisade and a
// direct phase in all. FOREIGN objects of the kinds a ringfence owns, written by others, can be
// added for the operator to ignore.
import { setTimeout as sleep } from 'node:timers/promises';
import { ringfences } from '../../src/api/resources.ts';
import { render } from '../../src/controllers/namespaceringfence/render.ts';
import { networkPolicies, roleBindings } from '../../src/kubernetes/resources.ts';
import { apply, type ApplyConfiguration, type ApplyOptions } from '../../src/runtime/apply.ts';
import type { KubeClient, KubeObject, Resource } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { metric, stopOperator, type OperatorProcess } from '../../harness/operator.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { controlPlaneMode, createNamespaces, namespaceObjects, settled, startBenchControlPlane, WRITES_IN_FLIGHT } from '../cluster.ts';
import {
  operatorNodeOptions, peakRssMiB, restartFigures, startShippedOperator, timed, untilReady, whileRunning, type PhaseMeasures,
} from '../operator.ts';
import { medianRatio, pair } from '../pairs.ts';
import { writeForeignObjects } from './foreign.ts';
import { BENCH_SPEC as spec } from './spec.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('RINGFENCES', 1000);
const CONCURRENCY = countSetting('CONCURRENCY', 16);
const FOREIGN = countSetting('FOREIGN', 0, 0);
/**
 * Pairs of a Palisade phase and a direct phase (bench/pairs.ts). The first pair
 * gives every other figure too, and has the restart and the floor between its phases; each later
 * pair runs back to back, with an operator over every ringfence so far (against Palisade, if
 * anything: it caches more than COUNT of each).
 */
const ROUNDS = countSetting('ROUNDS', 3);
// The shipped resync (600 s); restartFigures measures writes on a resync with one of 60 s.
const OPERATOR_ARGS = ['--leader-elect=false', `--concurrency=${CONCURRENCY}`];
const CONTROLLER = 'namespaceringfence';
const resources: Record<string, Resource> = { NetworkPolicy: networkPolicies, RoleBinding: roleBindings, NamespaceRingfence: ringfences };
/** The namespaces of the phases with no operator running (Palisade's are `bench-*`). */
const OPERATORLESS_PHASES = ['floor', 'direct'];

const fencesIn = (prefix: string) => namespaceObjects(prefix, COUNT).map((ns) => ({
  apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence', namespace: ns.metadata.name }, spec,
}));

/** Server-side applies `objects` with WRITES_IN_FLIGHT requests at a time: as fast as the API server takes them. */
function applyAll(client: KubeClient, objects: ApplyConfiguration[], options: Pick<ApplyOptions, 'subresource'> = {}) {
  return inParallel(objects, WRITES_IN_FLIGHT, (object) => apply(client, resources[object.kind]!, object, { force: true, ...options }));
}

/** What a ringfence renders to, owned by it when `fence` carries its uid (as the operator's are). */
const rendered = (fence: { metadata: { name: string; namespace: string; uid?: string } }) => {
  const { networkPolicies, roleBindings } = render({ metadata: fence.metadata, spec });
  return [...networkPolicies, ...roleBindings];
};

type FenceStatus = { observedGeneration?: number; conditions?: { type: string; status: string }[] };
type Fence = KubeObject & { status?: FenceStatus };

/** Ringfences of one phase (its namespaces' prefix) Ready at their current generation, counted from a watch: polling lists would load the API server. */
function readyCounter(informer: Informer<Fence>, prefix: string): () => number {
  return () => informer.list().filter((fence) => fence.metadata.namespace?.startsWith(`${prefix}-`)
    && fence.status?.observedGeneration === fence.metadata.generation
    && fence.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/** The operator path: ringfences applied to a running operator, timed until all are Ready; stopped (gracefully) after. */
async function throughOperator(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, measures: PhaseMeasures,
  fenceInformer: Informer<Fence>) {
  const operator = await startShippedOperator(kubeconfig, OPERATOR_ARGS);
  try {
    // Counted from readiness on: the caches' lists and watches at start are not the rollout's.
    await untilReady(operator);
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const untilAllReady = await untilAllReadyThrough(operator, client, pids, measures, fenceInformer, 'bench');
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;
    const reconciles = await metric(operator.port, 'controller_runtime_reconcile_total', { controller: CONTROLLER });
    return {
      untilReady: untilAllReady, status: fenceInformer.list()[0]!.status!,
      apiRequestsPerRingfence: +(requests / COUNT).toFixed(1), reconcilesPerRingfence: +(reconciles / COUNT).toFixed(1),
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    };
  } finally {
    await stopOperator(operator);
  }
}

/** Applies the ringfences of namespaces `prefix-*` to `operator` once it is ready; timed until all are Ready. */
async function untilAllReadyThrough(operator: OperatorProcess, client: KubeClient, pids: Record<string, number | undefined>,
  measures: PhaseMeasures, fenceInformer: Informer<Fence>, prefix: string) {
  const ready = readyCounter(fenceInformer, prefix);
  // A running operator, as in a cluster: its caches have synced before the first ringfence lands.
  await untilReady(operator);
  return timed({ ...pids, operator: operator.child.pid }, async () => {
    // Applied like the floor's objects: kubectl applies one object after another, and would measure itself.
    await applyAll(client, fencesIn(prefix));
    await whileRunning(operator, () => ready() >= COUNT);
  }, measures);
}

/** A later pair: a Palisade phase (a new operator process, over every ringfence so far) and then a direct phase, each on new namespaces. */
async function laterPair(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, measures: PhaseMeasures,
  fenceInformer: Informer<Fence>, round: number) {
  const [ours, theirs] = [`bench-r${round}`, `direct-r${round}`];
  await createNamespaces(client, namespaceObjects(ours, COUNT));
  const operator = await startShippedOperator(kubeconfig, OPERATOR_ARGS);
  const palisade = await untilAllReadyThrough(operator, client, pids, measures, fenceInformer, ours).finally(() => stopOperator(operator));
  await createNamespaces(client, namespaceObjects(theirs, COUNT));
  const direct = await timed(pids, () => writtenDirectly(client, fenceInformer.list()[0]!.status!, theirs), measures);
  return pair(palisade, direct);
}

/**
 * The least any operator could write: each ringfence, its objects (owned by it) and a Ready status,
 * applied straight with no operator running, as fast as the API server takes them.
 */
async function writtenDirectly(client: KubeClient, status: FenceStatus, prefix: string) {
  const fences = fencesIn(prefix);
  const owners: KubeObject[] = [];
  await inParallel(fences, WRITES_IN_FLIGHT, async (fence) => { owners.push(await apply(client, ringfences, fence, { force: true })); });
  await applyAll(client, owners.flatMap(({ metadata: { name, namespace = '', uid } }) => rendered({ metadata: { name, namespace, uid } })));
  // The status alone, as the controller sends it.
  await applyAll(client, fences.map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, metadata, status })), { subresource: 'status' });
}

const plane = await startBenchControlPlane();
try {
  const kubeconfig = plane.kubeconfig;
  await installCrds(kubeconfig);
  const client = await clientFor(kubeconfig);
  // Watches the ringfences in every phase, so that serving it weighs on each alike.
  const fenceInformer = new Informer<Fence>(client, { resource: ringfences });
  try {
    // Untimed setup before the operator starts: its phase's namespaces, and the foreign objects it
    // must ignore. The floor's and the direct phase's namespaces and objects are written only once
    // no operator runs: the operator's memory is that of a cluster of COUNT namespaces, and the
    // floor's objects carry Palisade's labels (a label-selected informer would cache them).
    const setup = await timed({}, async () => {
      await createNamespaces(client, namespaceObjects('bench', COUNT));
      await writeForeignObjects(client, FOREIGN);
    });
    fenceInformer.start();
    await settled(client);
    const pids = { ...plane.pids, bench: process.pid };
    const measures: PhaseMeasures = { apiserver: { client, server: plane.apiServers[0]!.url }, speedProbe: true };
    const ours = await throughOperator(client, kubeconfig, pids, measures, fenceInformer);
    const { restart, writesOnResync } = await restartFigures(kubeconfig, OPERATOR_ARGS, CONTROLLER, pids, COUNT);
    const laterSetup = await timed({}, () => createNamespaces(client, OPERATORLESS_PHASES.flatMap((prefix) => namespaceObjects(prefix, COUNT))));
    // The floor: the same objects, applied straight, as fast as the API server takes them.
    const floor = await timed(pids, () => applyAll(client, fencesIn('floor').flatMap((fence) => rendered(fence))));
    const direct = await timed(pids, () => writtenDirectly(client, ours.status, 'direct'), measures);
    const pairs = [pair(ours.untilReady, direct)];
    for (let round = 2; round <= ROUNDS; round++) pairs.push(await laterPair(client, kubeconfig, pids, measures, fenceInformer, round));
    const { status: _, untilReady: untilAllReady, ...figures } = ours;
    const { cpuSeconds: restartCpu, ...restartRest } = restart;
    console.log(JSON.stringify({
      benchmark: 'ringfence', ringfences: COUNT, foreignObjects: FOREIGN, concurrency: CONCURRENCY, writesInFlight: WRITES_IN_FLIGHT,
      nodeOptions: (await operatorNodeOptions()).join(' '), controlPlane: controlPlaneMode,
      secondsToAllReady: untilAllReady.seconds, floorSeconds: floor.seconds, ratioToFloor: +(untilAllReady.seconds / floor.seconds).toFixed(2),
      directSeconds: direct.seconds, ratioToDirect: pairs[0]!.ratio, medianRatioToDirect: medianRatio(pairs), pairs,
      ...figures, writesOnResync,
      restart: restartRest,
      cpuSeconds: { untilReady: untilAllReady.cpuSeconds, restart: restartCpu, floor: floor.cpuSeconds, direct: direct.cpuSeconds },
      setupSeconds: +(setup.seconds + laterSetup.seconds).toFixed(1), runSeconds: Math.round(performance.now() / 1000),
    }));
  } finally {
    await fenceInformer.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
