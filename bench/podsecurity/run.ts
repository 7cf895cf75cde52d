// 500 namespaces (NAMESPACES) selected by one PodSecurityBaseline, against a real control plane:
// the time from apply to all labelled (enforce included: no pod violates), the API requests it
// took, the operator's peak RSS, a restart over them and writes on its resync (must be 0); and, on as many namespaces of
// their own, the same requests made directly with no operator (a dry run, then the labels, per
// namespace, as many at a time as the operator's workers): all in the same run, with each
// process's CPU, and ROUNDS pairs of a Palisade and a direct phase in all.
import { setTimeout as sleep } from 'node:timers/promises';
import { baselines } from '../../src/api/resources.ts';
import { STATE_ANNOTATION } from '../../src/controllers/podsecuritybaseline/namespace-plan.ts';
import { PSA_LABELS, levelLabel, versionLabel } from '../../src/podsecurity/namespace-policy.ts';
import { namespaces } from '../../src/kubernetes/resources.ts';
import { apply, FIELD_MANAGER } from '../../src/runtime/apply.ts';
import type { KubeClient, KubeObject } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { metric, stopOperator, type OperatorProcess } from '../../harness/operator.ts';
import {
  applyAs, controlPlaneMode, createNamespaces, namespaceObjects, settled, SETUP_FIELD_MANAGER, startBenchControlPlane, WRITES_IN_FLIGHT,
} from '../cluster.ts';
import { peakRssMiB, restartFigures, startShippedOperator, timed, untilReady, whileRunning, type PhaseMeasures } from '../operator.ts';
import { medianRatio, pair } from '../pairs.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('NAMESPACES', 500);
// The Deployment's (the operator's default): its namespace controller's workers, each a dry run then an apply.
const CONCURRENCY = countSetting('CONCURRENCY', 2);
/**
 * Pairs of a Palisade phase and a direct phase (bench/pairs.ts), each on namespaces of its own. The
 * first pair gives every other figure too; each later pair has a new operator, over every
 * namespace so far, and a baseline of its own.
 */
const ROUNDS = countSetting('ROUNDS', 3);
// The shipped resync (600 s); restartFigures measures writes on a resync with one of 60 s.
const OPERATOR_ARGS = ['--leader-elect=false', `--concurrency=${CONCURRENCY}`];
const CONTROLLER = 'podsecuritybaseline-namespaces';
const ENFORCE = levelLabel('enforce');
/** On every namespace, for the harness's one watch; only a round's operator set is selected by its baseline. */
const BENCH_LABEL = { bench: 'podsecurity' };

type Namespace = KubeObject & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };

/** A round's two sets of namespaces (by prefix), and what selects its operator set. */
const roundOf = (round: number) => ({ tenants: `r${round}-tenant`, direct: `r${round}-direct`, selected: { 'bench-round': String(round) } });
type Round = ReturnType<typeof roundOf>;

const createRoundNamespaces = (client: KubeClient, { tenants, direct, selected }: Round) =>
  createNamespaces(client, [...namespaceObjects(tenants, COUNT, { ...BENCH_LABEL, ...selected }), ...namespaceObjects(direct, COUNT, BENCH_LABEL)]);

const baselineOf = ({ tenants, selected }: Round) => ({
  apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: tenants },
  spec: { namespaceSelector: { matchLabels: selected }, enforce: { level: 'restricted', version: 'latest' } },
});

/** How many of the namespaces named `prefix-*` are enforced restricted, counted from a watch: polling lists would load the API server. */
const labelledCounter = (watched: Informer<Namespace>, prefix: string) => () =>
  watched.list().filter((ns) => ns.metadata.name.startsWith(`${prefix}-`) && ns.metadata.labels?.[ENFORCE] === 'restricted').length;

/** The first round's Palisade phase, with the figures beyond its time; the operator is stopped (gracefully) after. */
async function throughOperator(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, measures: PhaseMeasures,
  watched: Informer<Namespace>) {
  const round = roundOf(1);
  const operator = await startShippedOperator(kubeconfig, OPERATOR_ARGS);
  try {
    // Counted from readiness on: the caches' lists and watches at start are not the rollout's.
    await untilReady(operator);
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const untilLabelled = await labelledThrough(operator, client, pids, measures, watched, round);
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;
    return {
      untilLabelled, sample: watched.list().find((ns) => ns.metadata.name === `${round.tenants}-0`)!,
      apiRequests: requests, apiRequestsPerNamespace: +(requests / COUNT).toFixed(2),
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    };
  } finally {
    await stopOperator(operator);
  }
}

/** Applies the round's baseline to `operator` once it is ready; timed until its namespaces are all enforced. */
async function labelledThrough(operator: OperatorProcess, client: KubeClient, pids: Record<string, number | undefined>,
  measures: PhaseMeasures, watched: Informer<Namespace>, round: Round) {
  const labelled = labelledCounter(watched, round.tenants);
  // A running operator, as in a cluster: its caches have synced before the baseline lands.
  await untilReady(operator);
  return timed({ ...pids, operator: operator.child.pid }, async () => {
    // As a user applies it: with Palisade's own field manager, its finalizer apply would drop the spec.
    await applyAs(client, SETUP_FIELD_MANAGER, baselines, [baselineOf(round)]);
    await whileRunning(operator, () => labelled() >= COUNT);
  }, measures);
}

/** The direct phase of a round, timed until the watch has seen all its namespaces labelled, as the operator's clock stops. */
function directly(client: KubeClient, pids: Record<string, number | undefined>, measures: PhaseMeasures, watched: Informer<Namespace>,
  sample: Namespace, round: Round) {
  const labelled = labelledCounter(watched, round.direct);
  return timed(pids, async () => {
    await labelledDirectly(client, sample, round.direct);
    while (labelled() < COUNT) await sleep(100);
  }, measures);
}

/** A later pair: its namespaces, a new operator over every namespace so far, and then the direct phase. */
async function laterPair(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, measures: PhaseMeasures,
  watched: Informer<Namespace>, sample: Namespace, number: number) {
  const round = roundOf(number);
  await createRoundNamespaces(client, round);
  await settled(client);
  const operator = await startShippedOperator(kubeconfig, OPERATOR_ARGS);
  const palisade = await labelledThrough(operator, client, pids, measures, watched, round).finally(() => stopOperator(operator));
  return pair(palisade, await directly(client, pids, measures, watched, sample, round));
}

/**
 * The operator's requests for each namespace, made straight with no operator: the merge-patch dry
 * run of the enforce level (AuditFirst: which pods would it reject?), then the server-side apply of
 * the six labels and the state annotation, as `sample` (a namespace the operator labelled) has
 * them. CONCURRENCY namespaces at a time, each request after the other, as its workers make them.
 */
async function labelledDirectly(client: KubeClient, sample: Namespace, prefix: string) {
  const only = (keys: string[], from: Record<string, string> = {}) => Object.fromEntries(keys.filter((key) => key in from).map((key) => [key, from[key]!]));
  const labels = only(PSA_LABELS, sample.metadata.labels);
  const enforce = only([ENFORCE, versionLabel('enforce')], labels);
  const annotations = only([STATE_ANNOTATION], sample.metadata.annotations);
  await inParallel(namespaceObjects(prefix, COUNT), CONCURRENCY, async ({ metadata: { name } }) => {
    await client.exchangePatch(namespaces, { name }, { metadata: { labels: enforce } },
      { type: 'merge', verb: 'patch-dry-run', dryRun: true, fieldManager: FIELD_MANAGER });
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
    await apply(client, namespaces, namespace, { force: true });
  });
}

const plane = await startBenchControlPlane();
try {
  const { kubeconfig } = plane;
  await installCrds(kubeconfig);
  const client = await clientFor(kubeconfig);
  // Untimed setup: the first round's namespaces before the operator starts.
  await createRoundNamespaces(client, roundOf(1));
  // Watches every round's namespaces in both phases, so that serving it weighs on each alike.
  const watched = new Informer<Namespace>(client, { resource: namespaces, labelSelector: 'bench=podsecurity' });
  watched.start();
  try {
    while (!watched.hasSynced) await sleep(50);
    await settled(client);
    const pids = { ...plane.pids, bench: process.pid };
    const measures: PhaseMeasures = { apiserver: { client, server: plane.apiServers[0]!.url }, speedProbe: true };
    const ours = await throughOperator(client, kubeconfig, pids, measures, watched);
    // A resync reconciles every namespace, in the order listed (by name): all of them, so that the selected ones are among those counted.
    const namespaceCount = (await client.list(namespaces, {}, { metadataOnly: true })).items?.length ?? 0;
    const { restart, writesOnResync } = await restartFigures(kubeconfig, OPERATOR_ARGS, CONTROLLER, pids, namespaceCount);
    const direct = await directly(client, pids, measures, watched, ours.sample, roundOf(1));
    const pairs = [pair(ours.untilLabelled, direct)];
    for (let round = 2; round <= ROUNDS; round++) pairs.push(await laterPair(client, kubeconfig, pids, measures, watched, ours.sample, round));
    const { untilLabelled, sample: _, ...figures } = ours;
    console.log(JSON.stringify({
      benchmark: 'podsecurity', namespaces: COUNT, concurrency: CONCURRENCY, setupWritesInFlight: WRITES_IN_FLIGHT, controlPlane: controlPlaneMode,
      secondsToAllLabelled: untilLabelled.seconds, directSeconds: direct.seconds, ratioToDirect: pairs[0]!.ratio,
      medianRatioToDirect: medianRatio(pairs), pairs,
      ...figures, writesOnResync,
      restart: (({ cpuSeconds: _, ...rest }) => rest)(restart),
      cpuSeconds: { untilLabelled: untilLabelled.cpuSeconds, restart: restart.cpuSeconds, direct: direct.cpuSeconds },
      runSeconds: Math.round(performance.now() / 1000),
    }));
  } finally {
    await watched.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
