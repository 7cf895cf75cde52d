// Runs an operator as a child process the way a Deployment would, and reads what it exposes:
// its JSON log lines, /readyz and /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface OperatorProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  port: number;
  exited: Promise<number | null>;
  /** performance.now() at spawn: where a start-up clock (to /readyz, say) begins. */
  spawnedAt: number;
}

/**
 * Starts `script` (a .ts file calling runOperator; `command` are the words before its flags, as in
 * `palisade operator`) with `args`; resolves once it logged 'started'.
 */
export async function startOperator(script: string, kubeconfig: string, args: string[] = [], command: string[] = [],
  nodeOptions: string[] = [], env: Record<string, string> = {}): Promise<OperatorProcess> {
  // Tests read every outcome from the log: debug, unless `args` name another level.
  const flags = [`--kubeconfig=${kubeconfig}`, '--health-address=127.0.0.1:0', '--metrics-address=127.0.0.1:0', '--log-level=debug', ...args];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, script, ...command, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const logs: Record<string, unknown>[] = [];
  const started = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.message === 'started') resolve((entry.ports as number[])[0] ?? 0);
    });
    void exited.then((code) => reject(new Error(`operator exited with ${code} before starting`)));
  });
  return { child, logs, port: await started, exited, spawnedAt };
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: await response.text() };
}

/** The sum of a Prometheus counter or gauge over the series whose labels include `labels`. */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { body } = await httpGet(port, '/metrics');
  return body.split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const WRITE_VERBS = ['apply', 'apply-status', 'create', 'update', 'patch', 'delete'];

/** All write requests an operator has sent, from its palisade_api_requests_total. */
export async function writeRequests(port: number): Promise<number> {
  let total = 0;
  for (const verb of WRITE_VERBS) total += await metric(port, 'palisade_api_requests_total', { verb });
  return total;
}

export async function stopOperator(operator: OperatorProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (operator.child.exitCode === null && operator.child.signalCode === null) operator.child.kill(signal);
  return operator.exited;
}
