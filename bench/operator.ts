// The operator as the benchmarks run it (as shipped, compiled by make build, with the Deployment's
// Node flags from config/manager/operator.env unless OPERATOR_NODE_OPTIONS names others), and what
// they measure it and the control plane with.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiserverMeter, type ApiserverEndpoint } from './apiserver-work.ts';
import { speedProbe } from './machine-speed.ts';
import { httpGet, metric, startOperator, stopOperator, writeRequests, type OperatorProcess } from '../harness/operator.ts';

const SCRIPT = new URL('../dist/cli/main.js', import.meta.url).pathname;

export async function operatorNodeOptions(): Promise<string[]> {
  const env = await readFile(new URL('../config/manager/operator.env', import.meta.url), 'utf8');
  return (process.env.OPERATOR_NODE_OPTIONS ?? /^NODE_OPTIONS=(.*)$/m.exec(env)?.[1] ?? '').split(' ').filter(Boolean);
}

export async function startShippedOperator(kubeconfig: string, args: string[]): Promise<OperatorProcess> {
  return startOperator(SCRIPT, kubeconfig, ['--log-level=info', ...args], ['operator'], await operatorNodeOptions());
}

/** Resolves once the operator's /readyz answers 200. */
export async function untilReady(operator: OperatorProcess): Promise<void> {
  while ((await httpGet(operator.port, '/readyz')).status !== 200) await sleep(100);
}

/** Polls `done` while the operator runs: a crash (out of memory, say) fails the run instead of hanging it. */
export async function whileRunning(operator: OperatorProcess, done: () => boolean): Promise<void> {
  while (!done()) {
    const { exitCode, signalCode } = operator.child;
    if (exitCode !== null || signalCode !== null) throw new Error(`the operator exited (${exitCode ?? signalCode}) before the work was done`);
    await sleep(100);
  }
}

/** How often the operator that measures writes on a resync resyncs: the shipped 600 s would make each run 10 minutes longer. */
const RESYNC_FLAG = '--resync=60';

/**
 * A second operator process started over what the first one left, as after a rollout or a crash:
 * the seconds from its spawn to /readyz 200, the write requests it made until 2 s after (everything
 * is as it wants it: must be 0), `controller`'s reconciles when it became ready, its peak RSS, and
 * the CPU each of `pids` and it spent; then, as it resyncs every 60 s, the writes over `count` of
 * its resync's reconciles (must be 0). Stopped before this resolves. The timed phases run with the
 * shipped resync instead: a resync every 60 s in them would be work no shipped operator does then.
 */
export async function restartFigures(kubeconfig: string, args: string[], controller: string, pids: Record<string, number | undefined>, count: number) {
  const cpu = await cpuMeter(pids);
  const operator = await startShippedOperator(kubeconfig, [...args, RESYNC_FLAG]);
  try {
    await untilReady(operator);
    const secondsToReady = +((performance.now() - operator.spawnedAt) / 1000).toFixed(1);
    const reconcilesAtReady = await metric(operator.port, 'controller_runtime_reconcile_total', { controller });
    await sleep(2000);
    const restart = {
      secondsToReady, reconcilesAtReady, writes: await writeRequests(operator.port), peakRssMiB: await peakRssMiB(operator.child.pid!),
      // Its own CPU from its start: it has no earlier reading.
      cpuSeconds: { ...await cpu(), operator: await cpuSeconds(operator.child.pid!) },
    };
    return { restart, writesOnResync: await writesOnResync(operator, controller, count) };
  } finally {
    await stopOperator(operator);
  }
}

/** User plus system CPU seconds a process has used. */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts counting the CPU seconds of each named process; the function returned reads them. */
export async function cpuMeter(pids: Record<string, number | undefined>): Promise<() => Promise<Record<string, number>>> {
  const named = Object.entries(pids).filter((entry): entry is [string, number] => entry[1] !== undefined);
  const before = await Promise.all(named.map(([, pid]) => cpuSeconds(pid)));
  return async () => {
    const after = await Promise.all(named.map(([, pid]) => cpuSeconds(pid)));
    return Object.fromEntries(named.map(([name], i) => [name, +(after[i]! - before[i]!).toFixed(2)]));
  };
}

/** The field of /proc/stat's "cpu" line that counts steal, after the label. */
const STEAL_FIELD = 8;

/**
 * CPU seconds the hypervisor gave to others while this machine's processes wanted it (steal, from
 * /proc/stat): a phase with much of it ran on a slower machine than its pair's other phase.
 */
async function stolenSeconds(): Promise<number> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/);
  return Number(fields[STEAL_FIELD]) / 100;
}

/** What a pair's phases measure beyond time and CPU (bench/pairs.ts). */
export interface PhaseMeasures {
  /** What kube-apiserver does. */
  apiserver?: ApiserverEndpoint;
  /** How fast the machine runs (bench/machine-speed.ts): CPU of its own, so only where phases are compared. */
  speedProbe?: boolean;
}

/**
 * How long `work` takes, the CPU seconds each of `pids` spends meanwhile and those stolen from the
 * machine, and, as `measures` ask, what kube-apiserver does and how fast the machine ran (`probeMs`:
 * the lower, the faster).
 */
export async function timed(pids: Record<string, number | undefined>, work: () => Promise<unknown>, measures: PhaseMeasures = {}) {
  // Its /metrics body is megabytes: read before the processes' CPU is, lest the reading count.
  const served = measures.apiserver && await apiserverMeter(measures.apiserver);
  const cpu = await cpuMeter(pids);
  const stolenBefore = await stolenSeconds();
  const stopProbe = measures.speedProbe ? speedProbe() : () => undefined;
  const started = performance.now();
  let probeMs: number | undefined;
  try {
    await work();
  } finally {
    probeMs = stopProbe();
  }
  const seconds = +((performance.now() - started) / 1000).toFixed(2);
  const stealSeconds = +((await stolenSeconds()) - stolenBefore).toFixed(2);
  const cpuSeconds = await cpu();
  return { seconds, cpuSeconds, stealSeconds, ...probeMs !== undefined && { probeMs }, ...served && { apiserver: await served() } };
}

/** The highest resident memory a process has had, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** The writes the operator makes while `controller` reconciles `count` more objects: a resync's, which must be 0. */
export async function writesOnResync(operator: OperatorProcess, controller: string, count: number): Promise<number> {
  const reconciles = () => metric(operator.port, 'controller_runtime_reconcile_total', { controller });
  // Work still under way is not a resync's: start once the controller has been idle for 2 s.
  let reconcilesBefore = await reconciles();
  for (;;) {
    await sleep(2000);
    const now = await reconciles();
    if (now === reconcilesBefore) break;
    reconcilesBefore = now;
  }
  const writesBefore = await writeRequests(operator.port);
  while (await reconciles() < reconcilesBefore + count) await sleep(1000);
  return (await writeRequests(operator.port)) - writesBefore;
}
