// The operator as the benchmarks run it (as shipped, compiled by make build, with the Deployment's
// Node flags from config/manager/operator.env unless OPERATOR_NODE_OPTIONS names others), and what
// they measure it and the control plane with.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { metric, startOperator, writeRequests, type OperatorProcess } from '../harness/operator.ts';

const SCRIPT = new URL('../dist/cli/main.js', import.meta.url).pathname;

export async function operatorNodeOptions(): Promise<string[]> {
  const env = await readFile(new URL('../config/manager/operator.env', import.meta.url), 'utf8');
  return (process.env.OPERATOR_NODE_OPTIONS ?? /^NODE_OPTIONS=(.*)$/m.exec(env)?.[1] ?? '').split(' ').filter(Boolean);
}

export async function startShippedOperator(kubeconfig: string, args: string[]): Promise<OperatorProcess> {
  return startOperator(SCRIPT, kubeconfig, ['--log-level=info', ...args], ['operator'], await operatorNodeOptions());
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
    return Object.fromEntries(named.map(([name], i) => [name, +(after[i]! - before[i]!).toFixed(1)]));
  };
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
