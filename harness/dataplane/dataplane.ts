// A node with real packets for the tests (main.go here): Pod objects on the real API server, bound
// to a Node this harness registers and marked Running with an address that a network namespace of
// the harness holds, and kube-network-policies' engine deciding every new connection between them.
// Needs root and iptables; the binary is built once per source and Go version (harness/go-binary.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { namespaces, networkPolicies, nodes, pods } from '../../src/kubernetes/resources.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { cachedGoBinary } from '../go-binary.ts';
import { kubectlOk } from '../kubectl.ts';
import { clusterNetworkPolicies } from '../network-policy-api.ts';

/** A container port of a test pod: the pod listens on it, and declares it (named ports resolve against it). */
export interface PodPort {
  port: number;
  protocol?: 'TCP' | 'UDP';
  name?: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ports?: PodPort[];
}

export interface DataplanePod extends Required<PodSpec> {
  ip: string;
}

/** An address of a network namespace with no Pod object: `host` names the namespace. */
export interface Host {
  host: string;
  ip: string;
}

/** Either end of a connection. */
export type End = DataplanePod | Host;

/** The Pod spec's containerPorts for `ports`. */
export const containerPorts = (ports: readonly PodPort[]) =>
  ports.map(({ port, protocol = 'TCP', name }) => ({ containerPort: port, protocol, ...name ? { name } : {} }));

interface Reply {
  id?: number;
  error?: string;
  outcome?: 'connected' | 'denied' | 'refused' | 'unanswered' | 'no-verdict';
  netns?: number[];
  observed?: Record<string, Record<string, string>>;
  ready?: boolean;
}

/** The test pod network: 10.213.0.0/16, one address per pod, in order. */
const POD_NETWORK = [10, 213];
/** Start-up includes the informers' first list; a command is at most a connection's 3 s. */
const READY_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 30_000;

const dataplaneBinary = (): string => cachedGoBinary(import.meta.dirname, 'dataplane');

export class Dataplane {
  readonly nodeName: string;
  /** The inodes of every network namespace it made: the node's first. */
  readonly netns: number[] = [];
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly stderr: string[] = [];
  private readonly exited: Promise<unknown>;
  private nextId = 1;
  private nextAddress = 2;
  private readonly client: KubeClient;
  private readonly kubeconfig: string;
  /** Why the process can take no more commands, once it cannot. */
  private ended: string | undefined;
  private readonly clusterNetworkPolicies: boolean;

  private constructor(client: KubeClient, kubeconfig: string, nodeName: string, binary: string, clusterNetworkPolicies: boolean) {
    this.client = client;
    this.kubeconfig = kubeconfig;
    this.nodeName = nodeName;
    this.clusterNetworkPolicies = clusterNetworkPolicies;
    const flags = clusterNetworkPolicies ? ['--cluster-network-policies'] : [];
    this.child = spawn(binary, ['--kubeconfig', kubeconfig, '--node-name', nodeName, ...flags], { stdio: ['pipe', 'pipe', 'pipe'] });
    // An exit, or a spawn that failed: either way every waiting and later command fails with the log.
    this.exited = new Promise((resolve) => this.child.once('close', resolve).once('error', resolve)).then(() => this.end('the dataplane exited'));
    this.child.stdin!.on('error', () => undefined); // a write after its exit: the exit answers
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.answer(JSON.parse(line) as Reply));
  }

  /**
   * Registers a Node and starts enforcing for it; resolves once the engine's informers synced.
   * With `clusterNetworkPolicies`, ClusterNetworkPolicy's tiers too (harness/network-policy-api.ts installs its CRDs).
   */
  static async start(client: KubeClient, kubeconfig: string, options: { clusterNetworkPolicies?: boolean } = {}): Promise<Dataplane> {
    const binary = dataplaneBinary(); // built before anything is made that would need undoing
    const nodeName = `dataplane-${randomBytes(3).toString('hex')}`;
    await client.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
    const dataplane = new Dataplane(client, kubeconfig, nodeName, binary, options.clusterNetworkPolicies === true);
    const ready = await dataplane.reply(0, READY_TIMEOUT_MS);
    if (!ready.ready) {
      await dataplane.stop('SIGKILL');
      throw new Error(`the dataplane did not start: ${ready.error ?? ''}`);
    }
    dataplane.netns.push(...ready.netns ?? []);
    return dataplane;
  }

  /** A Pod object, Running at a fresh address on this node, and its network namespace listening on its ports. */
  async addPod(spec: PodSpec): Promise<DataplanePod> {
    const pod: DataplanePod = { labels: {}, ports: [], ...spec, ip: this.allocate() };
    await this.client.create(pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
      spec: {
        nodeName: this.nodeName,
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: containerPorts(pod.ports) }],
        // No kubelet heartbeats this node: the node controller taints it, and must not evict.
        tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
      },
    });
    await this.client.patch(pods, { name: pod.name, namespace: pod.namespace, subresource: 'status' },
      { status: { phase: 'Running', podIP: pod.ip, podIPs: [{ ip: pod.ip }] } }, { type: 'merge' });
    await this.addHost(`${pod.namespace}/${pod.name}`, [pod.ip], pod.ports);
    return pod;
  }

  /** A network namespace with no Pod object (addresses outside the cluster), holding `ips`, listening on `ports` on each. */
  async addHost(name: string, ips: string[], ports: readonly PodPort[]): Promise<void> {
    // Each listener takes its port on every address of the namespace.
    const byProtocol = (protocol: string) => [...new Set(ports.filter((p) => (p.protocol ?? 'TCP') === protocol).map((p) => p.port))];
    const reply = await this.command({ op: 'pod', name, ips, tcp: byProtocol('TCP'), udp: byProtocol('UDP') });
    this.netns.push(...reply.netns ?? []);
  }

  /**
   * Whether a connection from `from` to `to`:`port` completes: the enforcer accepted its first
   * packet and the handshake or echo completed, or it dropped it and nothing came through.
   * Anything else (refused, unanswered, never seen by the enforcer) is a fault of the test, and throws.
   */
  async connects(from: End, to: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<boolean> {
    const source = 'host' in from ? { from: from.host, fromIP: from.ip } : { from: `${from.namespace}/${from.name}` };
    const { outcome } = await this.command({ op: 'connect', ...source, to, port, protocol });
    if (outcome === 'connected' || outcome === 'denied') return outcome === 'connected';
    throw new Error(`${protocol} ${source.from} -> ${to}:${port}: ${outcome ?? 'no outcome'} (no listener, or no route)\n${this.recentLog()}`);
  }

  /**
   * Waits until the enforcer has seen the API server's namespaces, NetworkPolicies (and
   * ClusterNetworkPolicies, if it enforces them) and this node's pods as they are now.
   */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [expected, { observed = {} }] = await Promise.all([this.apiServerView(), this.command({ op: 'observed' })]);
      const behind = Object.entries(expected).flatMap(([kind, versions]) => {
        const seen = observed[kind] ?? {};
        const stale = Object.entries(versions).filter(([key, version]) => seen[key] !== version).map(([key]) => `${kind} ${key}`);
        return kind === 'pods' ? stale : [...stale, ...Object.keys(seen).filter((key) => !(key in versions)).map((key) => `${kind} ${key} (deleted)`)];
      });
      if (behind.length === 0) return;
      if (Date.now() > deadline) throw new Error(`the dataplane's informers are behind: ${behind.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Ends the enforcer (its namespaces, links and rules go with it), then the Pods and the Node.
   * By default it is asked to end; `signal` kills it instead, as a crash would.
   */
  async stop(signal?: NodeJS.Signals): Promise<void> {
    if (this.ended === undefined) {
      if (signal) this.child.kill(signal);
      else this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    try {
      // At once: with no kubelet, a graceful deletion would never end (nor their namespaces' deletion).
      await kubectlOk(this.kubeconfig, ['delete', 'pods', '--all-namespaces', `--field-selector=spec.nodeName=${this.nodeName}`, '--grace-period=0', '--force']);
    } finally {
      await kubectlOk(this.kubeconfig, ['delete', 'node', this.nodeName, '--ignore-not-found']);
    }
  }

  /** The enforcer's last lines of log: its verdicts, and any error. */
  private recentLog(lines = 40): string {
    return this.stderr.slice(-lines).join('\n');
  }

  private async apiServerView(): Promise<Record<string, Record<string, string>>> {
    const versions = (items: readonly { metadata: { name: string; namespace?: string; resourceVersion?: string } }[]) =>
      Object.fromEntries(items.map(({ metadata }) => [metadata.namespace ? `${metadata.namespace}/${metadata.name}` : metadata.name, metadata.resourceVersion ?? '']));
    const [namespaceList, policyList, podList, clusterList] = await Promise.all([
      this.client.list(namespaces),
      this.client.list(networkPolicies),
      this.client.list(pods, { fieldSelector: `spec.nodeName=${this.nodeName}` }),
      this.clusterNetworkPolicies ? this.client.list(clusterNetworkPolicies) : undefined,
    ]);
    return {
      namespaces: versions(namespaceList.items ?? []), networkpolicies: versions(policyList.items ?? []), pods: versions(podList.items ?? []),
      ...clusterList ? { clusternetworkpolicies: versions(clusterList.items ?? []) } : {},
    };
  }

  private allocate(): string {
    const n = this.nextAddress++;
    if (n > 0xfffe) throw new Error('the test pod network is full');
    return [...POD_NETWORK, n >> 8, n & 0xff].join('.');
  }

  private async command(body: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    const answer = this.reply(id, COMMAND_TIMEOUT_MS);
    if (this.ended === undefined) this.child.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    const reply = await answer;
    if (reply.error) throw new Error(`dataplane ${String(body.op)}: ${reply.error}`);
    return reply;
  }

  /** The answer to command `id` (0: the ready line), or an error once the process ended or the time is up. */
  private reply(id: number, timeoutMs: number): Promise<Reply> {
    if (this.ended !== undefined) return Promise.resolve({ error: this.ended });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answer({ id, error: `no answer in ${timeoutMs / 1000} s\n${this.recentLog()}` }), timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  private end(why: string): void {
    this.ended = `${why}: ${this.recentLog()}`;
    for (const resolve of this.pending.values()) resolve({ error: this.ended });
    this.pending.clear();
  }

  private answer(reply: Reply): void {
    const id = reply.id ?? 0;
    this.pending.get(id)?.(reply);
    this.pending.delete(id);
  }
}
