// What kube-apiserver spends telling one more watcher of each write: the part of an operator's
// cost that no direct phase of writes pays. The same server-side applies of NetworkPolicies
// (REQUESTS per phase, IN_FLIGHT at a time) with no watcher of them, and with one (a watch of
// their label, read and parsed as the operator's informers do), phases alternating (ROUNDS of
// each, the order swapped every round). Per phase: seconds, events seen, this process's CPU and
// kube-apiserver's; then the medians and kube-apiserver's CPU per event.
import { setTimeout as sleep } from 'node:timers/promises';
import { networkPolicies } from '../../src/kubernetes/resources.ts';
import { apply } from '../../src/runtime/apply.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { clientFor } from '../../harness/client.ts';
import { alternating } from '../alternating.ts';
import { cpuSeconds } from '../operator.ts';
import { createNamespaces, namespaceObjects, startBenchControlPlane } from '../cluster.ts';

const REQUESTS = Number(process.env.REQUESTS ?? 3000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const NAMESPACES = 20;
const LABEL = { bench: 'watch-serving' };

type Watched = 'no watcher' | 'one watcher';
type Phase = { seconds: number; events: number; clientCpuSeconds: number; apiserverCpuSeconds: number };

/** REQUESTS applies of new NetworkPolicies `prefix-*`; with `watched`, a watch of them runs meanwhile and counts their events. */
async function phase(client: KubeClient, watched: Watched, prefix: string, apiserverPid: number): Promise<Phase> {
  const stop = new AbortController();
  let events = 0;
  let watchedFrom = '';
  if (watched === 'one watcher') {
    // From now on: no replay of the earlier phases' objects.
    watchedFrom = (await client.list(networkPolicies, { labelSelector: 'bench=watch-serving', limit: 1 })).metadata.resourceVersion;
    void client.watch(networkPolicies, { labelSelector: 'bench=watch-serving', resourceVersion: watchedFrom }, stop.signal, () => { events++; });
  }
  const [clientBefore, serverBefore, started] = [process.cpuUsage(), await cpuSeconds(apiserverPid), performance.now()];
  await inParallel(Array.from({ length: REQUESTS }, (_, i) => i), IN_FLIGHT, (i) => {
    const policy = {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${prefix}-${i}`, namespace: `watch-${i % NAMESPACES}`, labels: LABEL },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    return apply(client, networkPolicies, policy, { force: true });
  });
  // The watcher has been told of every write before the clock stops.
  while (watchedFrom && events < REQUESTS) await sleep(10);
  const spent = process.cpuUsage(clientBefore);
  const result = {
    seconds: +((performance.now() - started) / 1000).toFixed(2), events,
    clientCpuSeconds: +((spent.user + spent.system) / 1e6).toFixed(2),
    apiserverCpuSeconds: +(await cpuSeconds(apiserverPid) - serverBefore).toFixed(2),
  };
  stop.abort();
  return result;
}

const plane = await startBenchControlPlane();
try {
  const client = await clientFor(plane.kubeconfig);
  await createNamespaces(client, namespaceObjects('watch', NAMESPACES));
  const apiserverPid = plane.pids['kube-apiserver-0']!;
  const { medians, phases } = await alternating(['no watcher', 'one watcher'] as const, ROUNDS, (watched, round) =>
    phase(client, watched, `r${round}-${watched === 'no watcher' ? 'none' : 'one'}`, apiserverPid));
  const perEventMs = +((medians['one watcher'].apiserverCpuSeconds - medians['no watcher'].apiserverCpuSeconds) / REQUESTS * 1000).toFixed(3);
  console.log(JSON.stringify({ benchmark: 'watch-serving', requestsPerPhase: REQUESTS, inFlight: IN_FLIGHT, rounds: ROUNDS, medians, apiserverMsPerWatchEvent: perEventMs, phases }));
  await client.close();
} finally {
  await plane.stop();
}
