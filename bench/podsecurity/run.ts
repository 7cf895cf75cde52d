// 500 namespaces (NAMESPACES) selected by one PodSecurityBaseline, against a real control plane:
// the time from apply to all labelled (enforce included: no pod violates), the API requests it
// took, writes on a resync (must be 0), and the operator's peak RSS; and, on as many namespaces of
// their own, the same requests made directly with no operator (a dry run, then the labels, per
// namespace, as many at a time as the operator's workers): all in the same run, with each
// process's CPU.
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
import { metric, stopOperator } from '../../harness/operator.ts';
import {
  applyAs, controlPlaneMode, createNamespaces, namespaceObjects, settled, SETUP_FIELD_MANAGER, startBenchControlPlane,
} from '../cluster.ts';
import { peakRssMiB, startShippedOperator, timed, untilReady, whileRunning, writesOnResync } from '../operator.ts';

const COUNT = Number(process.env.NAMESPACES ?? 500);
// The Deployment's (the operator's default): its namespace controller's workers, each a dry run then an apply.
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 2);
const RESYNC_SECONDS = 60;
const ENFORCE = levelLabel('enforce');
/** On both sets of namespaces, for the harness's one watch; only the operator's set is selected by the baseline. */
const BENCH_LABEL = { bench: 'podsecurity' };
const SELECTED = { tenant: 'true' };

type Namespace = KubeObject & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };

const baseline = {
  apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: 'tenants' },
  spec: { namespaceSelector: { matchLabels: SELECTED }, enforce: { level: 'restricted', version: 'latest' } },
};

/** How many of the namespaces named `prefix-*` are enforced restricted, counted from a watch: polling lists would load the API server. */
const labelledCounter = (watched: Informer<Namespace>, prefix: string) => () =>
  watched.list().filter((ns) => ns.metadata.name.startsWith(`${prefix}-`) && ns.metadata.labels?.[ENFORCE] === 'restricted').length;

async function throughOperator(client: KubeClient, kubeconfig: string, pids: Record<string, number | undefined>, watched: Informer<Namespace>) {
  const labelled = labelledCounter(watched, 'tenant');
  const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--concurrency=${CONCURRENCY}`, `--resync=${RESYNC_SECONDS}`]);
  try {
    // A running operator, as in a cluster: its caches have synced before the baseline lands.
    await untilReady(operator);
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const untilLabelled = await timed({ ...pids, operator: operator.child.pid }, async () => {
      // As a user applies it: with Palisade's own field manager, its finalizer apply would drop the spec.
      await applyAs(client, SETUP_FIELD_MANAGER, baselines, [baseline]);
      await whileRunning(operator, () => labelled() >= COUNT);
    });
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;
    return {
      untilLabelled, sample: watched.list().find((ns) => ns.metadata.name === 'tenant-0')!,
      apiRequests: requests, apiRequestsPerNamespace: +(requests / COUNT).toFixed(2),
      writesOnResync: await writesOnResync(operator, 'podsecuritybaseline-namespaces', COUNT),
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    };
  } finally {
    await stopOperator(operator);
  }
}

/**
 * The operator's requests for each namespace, made straight with no operator: the merge-patch dry
 * run of the enforce level (AuditFirst: which pods would it reject?), then the server-side apply of
 * the six labels and the state annotation, as `sample` (a namespace the operator labelled) has
 * them. CONCURRENCY namespaces at a time, each request after the other, as its workers make them.
 */
async function labelledDirectly(client: KubeClient, sample: Namespace) {
  const only = (keys: string[], from: Record<string, string> = {}) => Object.fromEntries(keys.filter((key) => key in from).map((key) => [key, from[key]!]));
  const labels = only(PSA_LABELS, sample.metadata.labels);
  const enforce = only([ENFORCE, versionLabel('enforce')], labels);
  const annotations = only([STATE_ANNOTATION], sample.metadata.annotations);
  await inParallel(namespaceObjects('direct', COUNT), CONCURRENCY, async ({ metadata: { name } }) => {
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
  // Untimed setup: both sets of namespaces before the operator starts.
  await createNamespaces(client, [
    ...namespaceObjects('tenant', COUNT, { ...BENCH_LABEL, ...SELECTED }), ...namespaceObjects('direct', COUNT, BENCH_LABEL),
  ]);
  // Watches both sets in both phases, so that serving it weighs on each alike.
  const watched = new Informer<Namespace>(client, { resource: namespaces, labelSelector: 'bench=podsecurity' });
  watched.start();
  try {
    while (!watched.hasSynced) await sleep(50);
    await settled(client);
    const pids = { ...plane.pids, bench: process.pid };
    const ours = await throughOperator(client, kubeconfig, pids, watched);
    const directLabelled = labelledCounter(watched, 'direct');
    const direct = await timed(pids, async () => {
      await labelledDirectly(client, ours.sample);
      // Until the watch has seen them, as the operator's clock stops.
      while (directLabelled() < COUNT) await sleep(100);
    });
    const { untilLabelled, sample: _, ...figures } = ours;
    console.log(JSON.stringify({
      benchmark: 'podsecurity', namespaces: COUNT, concurrency: CONCURRENCY, controlPlane: controlPlaneMode,
      secondsToAllLabelled: untilLabelled.seconds, directSeconds: direct.seconds, ratioToDirect: +(untilLabelled.seconds / direct.seconds).toFixed(2),
      ...figures,
      cpuSeconds: { untilLabelled: untilLabelled.cpuSeconds, direct: direct.cpuSeconds },
      runSeconds: Math.round(performance.now() / 1000),
    }));
  } finally {
    await watched.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
