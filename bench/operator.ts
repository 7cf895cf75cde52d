// The operator as the benchmarks run it: as shipped, compiled (make build) and with the
// Deployment's Node flags (config/manager/operator.env), unless OPERATOR_NODE_OPTIONS names others.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { metric, startOperator, writeRequests, type OperatorProcess } from '../test/support/operator.ts';

const SCRIPT = new URL('../dist/cli/main.js', import.meta.url).pathname;

export async function operatorNodeOptions(): Promise<string[]> {
  const env = await readFile(new URL('../config/manager/operator.env', import.meta.url), 'utf8');
  return (process.env.OPERATOR_NODE_OPTIONS ?? /^NODE_OPTIONS=(.*)$/m.exec(env)?.[1] ?? '').split(' ').filter(Boolean);
}

export async function startShippedOperator(kubeconfig: string, args: string[]): Promise<OperatorProcess> {
  return startOperator(SCRIPT, kubeconfig, args, ['operator'], await operatorNodeOptions());
}

/** The highest resident memory a process has had, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** The writes the operator makes while `controller` reconciles `count` more objects: a resync's, which must be 0. */
export async function writesOnResync(operator: OperatorProcess, controller: string, count: number): Promise<number> {
  const writesBefore = await writeRequests(operator.port);
  const reconciles = () => metric(operator.port, 'controller_runtime_reconcile_total', { controller });
  const reconcilesBefore = await reconciles();
  while (await reconciles() < reconcilesBefore + count) await sleep(1000);
  return (await writeRequests(operator.port)) - writesBefore;
}
