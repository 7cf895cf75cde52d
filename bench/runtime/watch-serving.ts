// What kube-apiserver spends telling one more watcher of each write: the part of an operator's
// cost that no direct phase of writes pays. The same server-side applies of NetworkPolicies
// (REQUESTS per phase, WRITES_IN_FLIGHT at a time) with no watcher of them, and with one (a watch of
// their label whose every line is parsed, as an informer parses what it does not hold already),
// phases alternating (ROUNDS of each, the order swapped every round). Per phase: seconds, events
// seen, this process's CPU and kube-apiserver's; then the medians and kube-apiserver's CPU per event.
import { setTimeout as sleep } from 'node:timers/promises';
import { networkPolicies } from '../../src/kubernetes/resources.ts';
import { apply } from '../../src/runtime/apply.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { clientFor } from '../../harness/client.ts';
import { alternating } from '../alternating.ts';
import { timed } from '../operator.ts';
import { createNamespaces, namespaceObjects, startBenchControlPlane } from '../cluster.ts';
import { countSetting } from '../settings.ts';

const REQUESTS = countSetting('REQUESTS', 3000);
const WRITES_IN_FLIGHT = countSetting('WRITES_IN_FLIGHT', 16);
const ROUNDS = countSetting('ROUNDS', 4);
const NAMESPACES = 20;
const LABEL = { bench: 'watch-serving' };
const SELECTOR = 'bench=watch-serving';

type Watched = 'no watcher' | 'one watcher';
/** Long enough for 3,000 events on a busy machine; a phase past it has lost its watch. */
const EVENTS_DEADLINE_MS = 60_000;

/** Resolves once `count()` reaches `wanted`; rejects if `watching` ends first or the deadline passes. */
async function allEvents(count: () => number, wanted: number, watching: Promise<void>): Promise<void> {
  let ended = false;
  // Ended either way: a failed watch is reported by the phase's own await of it.
  void watching.then(() => { ended = true; }, () => { ended = true; });
  const deadline = performance.now() + EVENTS_DEADLINE_MS;
  while (count() < wanted) {
    if (ended) throw new Error(`the watch ended after ${count()} of ${wanted} events`);
    if (performance.now() > deadline) throw new Error(`${count()} of ${wanted} events in ${EVENTS_DEADLINE_MS} ms`);
    await sleep(10);
  }
}

/** REQUESTS applies of new NetworkPolicies `prefix-*`; with `watched`, a watch of them runs meanwhile, and the clock stops once it has seen each. */
async function phase(client: KubeClient, watched: Watched, prefix: string, apiserverPid: number) {
  const stop = new AbortController();
  let events = 0;
  let watching: Promise<void> | undefined;
  if (watched === 'one watcher') {
    // From now on: no replay of the earlier phases' objects.
    const from = (await client.list(networkPolicies, { labelSelector: SELECTOR, limit: 1 })).metadata.resourceVersion;
    watching = client.watch(networkPolicies, { labelSelector: SELECTOR, resourceVersion: from }, stop.signal, () => { events++; });
  }
  try {
    const { seconds, cpuSeconds } = await timed({ client: process.pid, apiserver: apiserverPid }, async () => {
      await inParallel(Array.from({ length: REQUESTS }, (_, i) => i), WRITES_IN_FLIGHT, (i) => {
        const policy = {
          apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${prefix}-${i}`, namespace: `watch-${i % NAMESPACES}`, labels: LABEL },
          spec: { podSelector: {}, policyTypes: ['Ingress'] },
        };
        return apply(client, networkPolicies, policy, { force: true });
      });
      if (watching) await allEvents(() => events, REQUESTS, watching);
    });
    return { seconds, events, clientCpuSeconds: cpuSeconds.client!, apiserverCpuSeconds: cpuSeconds.apiserver! };
  } finally {
    stop.abort();
    await watching;
  }
}

const plane = await startBenchControlPlane();
try {
  const client = await clientFor(plane.kubeconfig);
  await createNamespaces(client, namespaceObjects('watch', NAMESPACES));
  const apiserverPid = plane.pids['kube-apiserver-0']!;
  const { medians, phases } = await alternating(['no watcher', 'one watcher'] as const, ROUNDS, (watched, round) =>
    phase(client, watched, `r${round}-${watched === 'no watcher' ? 'none' : 'one'}`, apiserverPid));
  const perEventMs = +((medians['one watcher'].apiserverCpuSeconds - medians['no watcher'].apiserverCpuSeconds) / REQUESTS * 1000).toFixed(3);
  console.log(JSON.stringify({ benchmark: 'watch-serving', requestsPerPhase: REQUESTS, inFlight: WRITES_IN_FLIGHT, rounds: ROUNDS, medians, apiserverMsPerWatchEvent: perEventMs, phases }));
  await client.close();
} finally {
  await plane.stop();
}
