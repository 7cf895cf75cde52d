// A real Kubernetes control plane on loopback: etcd, one or more kube-apiservers and
// kube-controller-manager, built from the official Go modules by hack/control-plane/build.sh.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { freePort } from '../ports.ts';
import { ManagedProcess } from './process.ts';
import { createClientCert, createPki, type Pki } from './pki.ts';

const BUILD_SCRIPT = new URL('../../hack/control-plane/build.sh', import.meta.url).pathname;
const READY_TIMEOUT_MS = 180_000;

export interface ControlPlaneOptions {
  /** Where certificates, data and logs go; a new temporary directory by default. */
  dir?: string;
  /** Processes outlive this one (for `make cluster-up`); otherwise they die with it. */
  detached?: boolean;
  /** Passed to the first apiserver as --encryption-provider-config, reloaded automatically. */
  encryptionConfigFile?: string;
  /** Users whose requests every apiserver writes to an audit log (see auditEvents). */
  auditedUsers?: string[];
  /**
   * kube-controller-manager's --controllers (e.g. ['*', '-serviceaccount-controller']); its own
   * default (every on-by-default controller) when unset.
   */
  controllers?: string[];
  /** Every apiserver's --runtime-config (e.g. ['storagemigration.k8s.io/v1=false']). */
  runtimeConfig?: string[];
}

/** What an apiserver's audit log says about one request (the fields the tests read). */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number; message?: string };
  annotations?: Record<string, string>;
  responseObject?: { roleRef?: { kind: string; name: string } };
}

export interface ApiServerOptions {
  /** A loopback address of its own: every apiserver listens on the same port, as in a real cluster. */
  address: string;
  encryptionConfigFile?: string;
}

/** Builds (or finds in the cache) the control-plane binaries and returns their directory. */
export async function controlPlaneBinaries(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').at(-1) ?? '';
}

export interface ApiServer {
  address: string;
  url: string;
  process: ManagedProcess;
}

export class ControlPlane {
  readonly apiServers: ApiServer[] = [];
  readonly dir: string;
  readonly binDir: string;
  readonly pki: Pki;
  readonly etcdUrl: string;
  /** The secure port every apiserver listens on, each at its own address. */
  readonly port: number;
  private readonly options: ControlPlaneOptions;
  private readonly processes: ManagedProcess[] = [];
  private readonly killOnExit = () => this.processes.forEach((p) => p.killNow());

  private constructor(dir: string, binDir: string, pki: Pki, etcdUrl: string, port: number, options: ControlPlaneOptions) {
    this.dir = dir;
    this.binDir = binDir;
    this.pki = pki;
    this.etcdUrl = etcdUrl;
    this.port = port;
    this.options = options;
  }

  /** The admin kubeconfig (user palisade-admin in system:masters). */
  get kubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.processes.map((p) => [p.spec.name, p.pid]));
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const binDir = await controlPlaneBinaries();
    const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'palisade-cp-'));
    await mkdir(join(dir, 'logs'), { recursive: true });
    const pki = await createPki(dir);
    const [etcdPort, etcdPeerPort, port] = [await freePort(), await freePort(), await freePort()];
    const plane = new ControlPlane(dir, binDir, pki, `http://127.0.0.1:${etcdPort}`, port, options);
    if (!options.detached) process.once('exit', plane.killOnExit);
    try {
      await plane.startEtcd(etcdPeerPort);
      const first = await plane.addApiServer({ address: '127.0.0.1', encryptionConfigFile: options.encryptionConfigFile });
      await plane.writeKubeconfig(plane.kubeconfig, 'palisade-admin', ['system:masters'], first.url);
      await plane.startControllerManager();
    } catch (error) {
      await plane.stop();
      throw error;
    }
    return plane;
  }

  private spawn(name: string, binary: string, args: string[]): ManagedProcess {
    const process = new ManagedProcess({
      name, command: join(this.binDir, binary), args, logFile: join(this.dir, 'logs', `${name}.log`),
      detached: this.options.detached ?? false,
    });
    this.processes.push(process);
    return process;
  }

  private async startEtcd(peerPort: number): Promise<void> {
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = this.spawn('etcd', 'etcd', [
      '--name=palisade', `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=${this.etcdUrl}`, `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=palisade=${peerUrl}`,
      // Test data is thrown away: durability is not worth the fsyncs on a two-core machine.
      '--unsafe-no-fsync', '--log-level=warn',
    ]);
    await etcd.start();
    await waitFor(`etcd at ${this.etcdUrl}`, etcd, () => httpGetOk(`${this.etcdUrl}/health`));
  }

  /** Starts another kube-apiserver on the same etcd and port, at its own loopback address. */
  async addApiServer(options: ApiServerOptions): Promise<ApiServer> {
    const { pki } = this;
    const encryption = options.encryptionConfigFile
      ? [`--encryption-provider-config=${options.encryptionConfigFile}`, '--encryption-provider-config-automatic-reload=true']
      : [];
    const name = `kube-apiserver-${this.apiServers.length}`;
    const process = this.spawn(name, 'kube-apiserver', [
      `--etcd-servers=${this.etcdUrl}`,
      `--bind-address=${options.address}`, `--advertise-address=${options.address}`, `--secure-port=${this.port}`,
      `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=https://127.0.0.1:${this.port}`,
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--profiling=false',
      // The endpoint reconciler refuses loopback advertise addresses, and loopback is all a test
      // control plane may use: default/kubernetes gets no endpoints here.
      '--endpoint-reconciler-type=none',
      ...encryption,
      ...(this.options.runtimeConfig ? [`--runtime-config=${this.options.runtimeConfig.join(',')}`] : []),
      ...await this.auditFlags(name),
    ]);
    const server: ApiServer = { address: options.address, url: `https://${options.address}:${this.port}`, process };
    this.apiServers.push(server);
    await this.startApiServer(server);
    return server;
  }

  private async auditFlags(apiServer: string): Promise<string[]> {
    const users = this.options.auditedUsers;
    if (!users?.length) return [];
    const policy = join(this.dir, 'audit-policy.yaml');
    await writeFile(policy, dump({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [
        // The RoleBinding written tells which ClusterRole was bound (the bind check leaves no request).
        { level: 'RequestResponse', users, resources: [{ group: 'rbac.authorization.k8s.io', resources: ['rolebindings'] }], verbs: ['create', 'patch', 'update'] },
        { level: 'Metadata', users },
        { level: 'None' },
      ],
    }));
    // One file, never rotated (the default rotates at 100 MB): auditEvents reads it whole.
    return [`--audit-policy-file=${policy}`, `--audit-log-path=${join(this.dir, 'logs', `${apiServer}-audit.log`)}`, '--audit-log-format=json',
      '--audit-log-maxsize=100000'];
  }

  /**
   * Every audited request so far, once each (a watch is logged when it starts and when it ends).
   * An apiserver that saw no audited request has no log yet; the line it may be writing is skipped.
   */
  async auditEvents(): Promise<AuditEvent[]> {
    const events = new Map<string, AuditEvent>();
    for (const { process } of this.apiServers) {
      const file = join(this.dir, 'logs', `${process.spec.name}-audit.log`);
      const log = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      for (const line of log.split('\n').slice(0, -1)) {
        const event = JSON.parse(line) as AuditEvent;
        if (!events.has(event.auditID) || event.stage === 'ResponseComplete') events.set(event.auditID, event);
      }
    }
    return [...events.values()];
  }

  /** Starts a stopped apiserver again, with the same flags, and waits until it is ready. */
  async startApiServer(server: ApiServer): Promise<void> {
    await server.process.start();
    await waitFor(`kube-apiserver at ${server.url}`, server.process, () => httpGetOk(`${server.url}/readyz`, this.pki.caCert));
  }

  private async startControllerManager(): Promise<void> {
    const kubeconfig = join(this.dir, 'controller-manager.kubeconfig');
    await this.writeKubeconfig(kubeconfig, 'system:kube-controller-manager', []);
    const port = await freePort();
    const manager = this.spawn('kube-controller-manager', 'kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false', '--use-service-account-credentials=true',
      `--service-account-private-key-file=${this.pki.serviceAccountKey}`, `--root-ca-file=${this.pki.caCert}`,
      '--bind-address=127.0.0.1', `--secure-port=${port}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
      ...(this.options.controllers ? [`--controllers=${this.options.controllers.join(',')}`] : []),
    ]);
    await manager.start();
    await waitFor('kube-controller-manager', manager, () => httpGetOk(`https://127.0.0.1:${port}/healthz`));
  }

  /** The raw value etcd holds at `key`, e.g. /registry/secrets/NAMESPACE/NAME: what encryption at rest wrote. */
  async readEtcd(key: string): Promise<Buffer> {
    const { stdout } = await promisify(execFile)(join(this.binDir, 'etcdctl'),
      [`--endpoints=${this.etcdUrl}`, 'get', key, '--print-value-only'], { encoding: 'buffer', maxBuffer: 16 << 20 });
    return stdout;
  }

  /** Compacts etcd's history up to now: watches from any older resourceVersion then get 410 Gone. */
  async compactEtcd(): Promise<void> {
    const etcdctl = (...args: string[]) => promisify(execFile)(join(this.binDir, 'etcdctl'), [`--endpoints=${this.etcdUrl}`, ...args]);
    const { stdout } = await etcdctl('endpoint', 'status', '--write-out=json');
    const [status] = JSON.parse(stdout) as { Status: { header: { revision: number } } }[];
    await etcdctl('compact', String(status?.Status.header.revision), '--physical');
  }

  /** The admin kubeconfig, aimed at one apiserver of several. */
  async adminKubeconfigFor(server: ApiServer): Promise<string> {
    const file = join(this.dir, `admin-${server.address}.kubeconfig`);
    await this.writeKubeconfig(file, 'palisade-admin', ['system:masters'], server.url);
    return file;
  }

  /** A kubeconfig for a client-certificate user with any name and groups; returns its path. */
  async userKubeconfig(user: string, groups: string[] = []): Promise<string> {
    const file = join(this.dir, 'users', `${user.replace(/[^A-Za-z0-9_.-]/g, '_')}.kubeconfig`);
    await mkdir(join(this.dir, 'users'), { recursive: true });
    await this.writeKubeconfig(file, user, groups);
    return file;
  }

  private async writeKubeconfig(file: string, user: string, groups: string[], server = this.apiServers[0]?.url): Promise<void> {
    const certDir = join(this.dir, 'users');
    await mkdir(certDir, { recursive: true });
    const fileName = `${user}-${groups.join('+')}`.replace(/[^A-Za-z0-9_.+-]/g, '_');
    const cert = await createClientCert(this.pki, certDir, fileName, user, groups);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'palisade', cluster: { server, 'certificate-authority': this.pki.caCert } }],
      users: [{ name: user, user: { 'client-certificate': cert.cert, 'client-key': cert.key } }],
      contexts: [{ name: 'palisade', context: { cluster: 'palisade', user } }],
      'current-context': 'palisade',
    };
    await writeFile(file, dump(config), { mode: 0o600 });
  }

  /** Stops every process, newest first (etcd last), and removes a temporary directory. */
  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
    process.removeListener('exit', this.killOnExit);
    if (this.options.dir === undefined && !process.env.PALISADE_KEEP_CLUSTER) await rm(this.dir, { recursive: true, force: true });
  }
}

async function waitFor(what: string, process: ManagedProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!process.running) throw new Error(`${what} exited while starting. ${await logTail(process)}`);
    if (await ready()) return;
    await sleep(250);
  }
  throw new Error(`${what} was not ready after ${READY_TIMEOUT_MS / 1000}s. ${await logTail(process)}`);
}

async function logTail(process: ManagedProcess): Promise<string> {
  const lines = (await readFile(process.spec.logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-15);
  return `The end of ${process.spec.logFile}:\n${lines.join('\n')}`;
}

/**
 * True when GET url answers 200. Health endpoints need no client identity; HTTPS is verified
 * against the CA file `ca` where given (kube-controller-manager serves a self-signed certificate).
 */
function httpGetOk(url: string, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = url.startsWith('https:')
      ? httpsRequest(url, { ca: ca && readFileSync(ca), rejectUnauthorized: ca !== undefined, timeout: 5000 }, answered)
      : httpRequest(url, { timeout: 5000 }, answered);
    function answered(res: IncomingMessage) {
      res.resume();
      resolve(res.statusCode === 200);
    }
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
