// The operator as the benchmarks run it: as shipped, compiled (make build) and with the
// Deployment's Node flags (config/manager/operator.env), unless OPERATOR_NODE_OPTIONS names others.
import { readFile } from 'node:fs/promises';
import { startOperator, type OperatorProcess } from '../test/support/operator.ts';

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
