// Runs an operator as a child process the way a Deployment would, and reads what it exposes:
// its JSON log lines, /readyz and /metrics. /metrics is plain HTTP unless a test asks for the
// shipped default (secureMetricsFlags): HTTPS, with a bearer token.
import { spawn, type ChildProcess } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import { freePort } from './ports.ts';
import { sumOf } from './prometheus-text.ts';

export interface OperatorProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  /** The first server's port: /healthz and /readyz, and /metrics too unless secure. */
  port: number;
  /** Every port it serves on, as logged: the probes' first, then /metrics' when it has its own. */
  ports: number[];
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
  // Tests read every outcome from the log: debug, unless `args` name another level. /metrics plain
  // HTTP on the probes' port, unless `args` say otherwise (secureMetricsFlags).
  const flags = [`--kubeconfig=${kubeconfig}`, '--health-address=127.0.0.1:0', '--metrics-address=127.0.0.1:0', '--metrics-secure=false',
    '--log-level=debug', ...args];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, script, ...command, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const logs: Record<string, unknown>[] = [];
  const started = new Promise<number[]>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.message === 'started') resolve(entry.ports as number[]);
    });
    void exited.then((code) => reject(new Error(`operator exited with ${code} before starting`)));
  });
  const ports = await started;
  return { child, logs, port: ports[0] ?? 0, ports, exited, spawnedAt };
}

/** Flags for /metrics as shipped (HTTPS, TokenReview and SubjectAccessReview) on a port of its own, on loopback. */
export async function secureMetricsFlags(): Promise<string[]> {
  return ['--metrics-secure=true', `--metrics-address=127.0.0.1:${await freePort()}`];
}

/** The port /metrics is served on: its own (secure), else the probes'. */
export const metricsPort = (operator: OperatorProcess): number => operator.ports.at(-1) ?? operator.port;

export interface HttpsAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The certificate the server presented. */
  certificate: X509Certificate;
}

/**
 * A GET over HTTPS to 127.0.0.1:`port`, with `token` as a bearer token when given. With `ca`, the
 * server's certificate must chain to it and name `servername` (as a client reaching the Service
 * by that name checks it); without, any certificate is taken (and returned, to look at).
 */
export function httpsGet(port: number, path: string, options: { token?: string; ca?: string; servername?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: 30_000,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      ...(options.servername ? { servername: options.servername } : {}),
      ...(options.ca ? { ca: options.ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
    }, (response) => {
      const certificate = (response.socket as TLSSocket).getPeerX509Certificate();
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', reject).on('end', () => {
        if (!certificate) return reject(new Error('no server certificate'));
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers, certificate });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET https://127.0.0.1:${port}${path} timed out`))).on('error', reject).end();
  });
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: await response.text() };
}

/** The sum of a Prometheus counter or gauge over the series whose labels include `labels`. */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumOf((await httpGet(port, '/metrics')).body, name, labels);
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
