// kubectl, run the way users run it, against a kubeconfig of the test control plane. It is the
// kubectl built with the control plane, so client and server versions match on any machine.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { controlPlaneBinaries } from './control-plane/control-plane.ts';

let binary: Promise<string> | undefined;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl and resolves with its output whatever the exit code; `input` goes to stdin. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<KubectlResult> {
  binary ??= controlPlaneBinaries().then((dir) => join(dir, 'kubectl'));
  const command = await binary;
  return new Promise((resolve) => {
    const child = execFile(command, [`--kubeconfig=${kubeconfig}`, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

/** Runs kubectl and throws, with its stderr, unless it succeeds. */
export async function kubectlOk(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const result = await kubectl(kubeconfig, args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
