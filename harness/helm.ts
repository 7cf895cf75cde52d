// Helm, the oracle (harness/oracles.ts), run on charts/palisade the way users run it.
import { execFile } from 'node:child_process';
import { helm } from './oracles.ts';

export const CHART = new URL('../charts/palisade', import.meta.url).pathname;

/** Runs helm with `args`; resolves with its exit code and output whatever the code. */
export function runHelm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(helm(), args, { maxBuffer: 1 << 26, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
