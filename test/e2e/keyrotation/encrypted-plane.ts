// A control plane of its own with encryption at rest, the operator on it as its ServiceAccount,
// and a rotation driven to its end while a reader checks that no Secret is ever unreadable.
// kube-apiserver polls its config once a minute, so a rotation (three reload gates) takes minutes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Migration } from '../../../src/controllers/keyrotationschedule/plan.ts';
import { secrets } from '../../../src/kubernetes/resources.ts';
import type { KubeObject, Resource, WatchEvent } from '../../../src/runtime/client.ts';
import { inParallel } from '../../../src/runtime/parallel.ts';
import { clientFor } from '../../../harness/client.ts';
import type { StorageMigration } from '../../../src/controllers/keyrotationschedule/storage-migration.ts';
import { ControlPlane, type ControlPlaneOptions } from '../../../harness/control-plane/control-plane.ts';
import { installCrds } from '../../../harness/crds.ts';
import { writeInitialEncryptionConfig } from '../../../harness/encryption.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { stopOperator, type OperatorProcess } from '../../../harness/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { keepOperatorRequests, OPERATOR_USER, startPalisadeOperator } from '../../support/least-privilege.ts';

/** The Secrets of namespace app, checked key by key in etcd after each rotation. */
export const SECRETS = 20;

export interface ScheduleStatus {
  phase?: string;
  rotation?: { key: string; migrationPath?: string; writeKeyRevision?: string; migration?: Migration; storageVersionMigrations?: StorageMigration[] };
  currentKey?: string;
  previousKeys?: string[];
  lastRotationTime?: string;
  observedGeneration?: number;
  lastMigration?: { path?: string; objectsChecked?: number; objectsRewritten?: number; resources?: StorageMigration[] };
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

/** A watch kept open while a rotation runs. */
export interface Watched {
  resource: Resource;
  query?: { fieldSelector?: string };
  onEvent: (event: WatchEvent<KubeObject>) => void;
}

export interface Schedule {
  metadata: { generation: number };
  status?: ScheduleStatus;
}

export class EncryptedPlane {
  operator!: OperatorProcess;
  private restarts = Promise.resolve();
  readonly plane: ControlPlane;
  readonly configFile: string;
  /** The material of the key the plane started with: it must never be logged or reported. */
  readonly initialKey: string;

  private constructor(plane: ControlPlane, configFile: string, initialKey: string) {
    this.plane = plane;
    this.configFile = configFile;
    this.initialKey = initialKey;
  }

  /** The plane, CRDs installed, namespace app with SECRETS Secrets, and the operator watching the first apiserver. */
  static async start(options: Omit<ControlPlaneOptions, 'encryptionConfigFile' | 'auditedUsers'> = {}): Promise<EncryptedPlane> {
    const configFile = join(await mkdtemp(join(tmpdir(), 'palisade-enc-')), 'encryption-config.yaml');
    const initialKey = await writeInitialEncryptionConfig(configFile);
    const plane = await ControlPlane.start({ ...options, encryptionConfigFile: configFile, auditedUsers: [OPERATOR_USER] });
    const encrypted = new EncryptedPlane(plane, configFile, initialKey);
    await installCrds(plane.kubeconfig);
    await encrypted.kubectl(['create', 'namespace', 'app']);
    for (let i = 0; i < SECRETS; i++) await encrypted.kubectl(['create', 'secret', 'generic', `s${i}`, '-n', 'app', `--from-literal=value=${randomBytes(8).toString('hex')}`]);
    await encrypted.startOperator([plane.apiServers[0]!.url]);
    return encrypted;
  }

  /** Keeps the operator's requests for the least-privilege check, then stops everything. */
  async stop(): Promise<void> {
    if (this.operator) await stopOperator(this.operator, 'SIGKILL');
    try {
      await keepOperatorRequests(this.plane);
    } finally {
      await this.plane.stop();
    }
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return kubectlOk(this.plane.kubeconfig, args, input);
  }

  /** The apiservers are named: a test control plane's default/kubernetes has no endpoints. */
  async startOperator(urls: string[], ...flags: string[]): Promise<void> {
    this.operator = await startPalisadeOperator(this.plane, ['--leader-elect=false', `--apiserver-urls=${urls.join(',')}`, ...flags]);
  }

  /** SIGKILLs the operator and starts it again, one restart at a time however many ask at once; `whileDown` runs in between. */
  restart(whileDown: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    this.restarts = this.restarts.then(async () => {
      await stopOperator(this.operator, 'SIGKILL');
      await whileDown();
      await this.startOperator([this.plane.apiServers[0]!.url]);
    });
    return this.restarts;
  }

  /** Once every restart asked for has happened. */
  restarted(): Promise<void> {
    return this.restarts;
  }

  /** `count` Secrets in namespace bulk: enough that a re-encryption takes a while. */
  async createBulkSecrets(count: number): Promise<void> {
    const client = await clientFor(this.plane.kubeconfig);
    try {
      await this.kubectl(['create', 'namespace', 'bulk']);
      await inParallel(Array.from({ length: count }, (_, i) => i), 16, (i) => client.create(secrets,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: `b${i}`, namespace: 'bulk' }, stringData: { value: randomBytes(8).toString('hex') } }));
    } finally {
      await client.close();
    }
  }

  /**
   * As rotate, with the operator SIGKILLed and restarted once in each phase the poll sees it in
   * (`killedIn` collects them). Migrating is left to `watches`, which run until the rotation
   * ends: a poll is too slow for it.
   */
  async rotateKilledInEveryPhase(provider: string, run: string, killedIn: Set<string>,
    { watches = [], seen = () => {} }: { watches?: Watched[]; seen?: (status: ScheduleStatus) => void } = {}): Promise<ScheduleStatus> {
    const client = await clientFor(this.plane.kubeconfig);
    const watching = new AbortController();
    const watchers = Promise.all(watches.map(async ({ resource, query = {}, onEvent }) => {
      while (!watching.signal.aborted) await client.watch<KubeObject>(resource, query, watching.signal, onEvent);
    }));
    try {
      return await this.rotate(provider, run, async (status) => {
        seen(status);
        const { phase, rotation } = status;
        if (!rotation || !phase || phase === 'Migrating' || killedIn.has(phase)) return;
        killedIn.add(phase);
        await this.restart();
      });
    } finally {
      watching.abort();
      await watchers;
      await this.restarted();
      await client.close();
    }
  }

  async schedule(name: string): Promise<Schedule> {
    return JSON.parse(await this.kubectl(['get', 'keyrotationschedule', name, '-o', 'json'])) as Schedule;
  }

  applySchedule(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<string> {
    return this.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', metadata: { name, annotations }, spec }));
  }

  spec(provider: string): Record<string, unknown> {
    return {
      schedule: '0 3 * * 0', provider, resources: ['secrets'], keyStore: { namespace: 'palisade-system' },
      delivery: { type: 'File', path: this.configFile }, retainPreviousKeys: provider === 'aescbc' ? 0 : 1,
    };
  }

  async secretData(): Promise<unknown[]> {
    const list = JSON.parse(await this.kubectl(['get', 'secrets', '-n', 'app', '-o', 'json'])) as { items: { metadata: { name: string }; data: Record<string, string> }[] };
    return list.items.map((item) => [item.metadata.name, item.data]);
  }

  /** How many Secrets etcd holds, and how many of them are encrypted with `key` of `provider`. */
  async secretsInEtcd(provider: string, key: string): Promise<{ total: number; underKey: number }> {
    const { stdout } = await promisify(execFile)(join(this.plane.binDir, 'etcdctl'), [`--endpoints=${this.plane.etcdUrl}`, 'get', '/registry/secrets/', '--prefix', '-w', 'json'], { maxBuffer: 64 << 20 });
    const values = ((JSON.parse(stdout) as { kvs?: { value: string }[] }).kvs ?? []).map(({ value }) => Buffer.from(value, 'base64').subarray(0, 80).toString('latin1'));
    return { total: values.length, underKey: values.filter((value) => value.startsWith(`k8s:enc:${provider}:v1:${key}:`)).length };
  }

  /**
   * Runs a rotation of schedule secrets-at-rest to its end with a reader that checks every Secret
   * all along (none may ever be unreadable); `watch` sees each status on the way. Resolves with
   * the final status, once every Secret is in etcd under the new key and reads back as before.
   */
  async rotate(provider: string, run: string, watch: (status: ScheduleStatus) => Promise<void> = () => Promise.resolve(),
    overrides: Record<string, unknown> = {}): Promise<ScheduleStatus> {
    const before = await this.secretData();
    const last = (await this.schedule('secrets-at-rest').catch(() => undefined))?.status?.lastRotationTime;
    let unreadable = 0;
    let reads = 0;
    const reading = { on: true };
    const reader = (async () => {
      while (reading.on) {
        const result = await kubectl(this.plane.kubeconfig, ['get', 'secrets', '-n', 'app', '-o', 'json']);
        reads++;
        if (result.code !== 0) unreadable++;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    await this.applySchedule('secrets-at-rest', { ...this.spec(provider), ...overrides }, { 'palisade.dev/rotate-now': run });
    try {
      await eventually(async () => {
        const { status } = await this.schedule('secrets-at-rest');
        await watch(status ?? {});
        expect(status?.lastRotationTime !== last && status?.lastRotationTime, `phase ${status?.phase}`).to.be.a('string');
      }, 480_000, 1_000);
    } finally {
      reading.on = false;
      await reader;
    }
    const key = `secrets-at-rest-${run}`;
    for (let i = 0; i < SECRETS; i++) {
      const raw = await this.plane.readEtcd(`/registry/secrets/app/s${i}`);
      expect(raw.subarray(0, 60).toString('latin1'), `s${i}`).to.match(new RegExp(`^k8s:enc:${provider}:v1:${key}:`));
    }
    expect(await this.secretData(), 'every Secret reads back as it was').to.deep.equal(before);
    expect(unreadable, `${unreadable} of ${reads} reads failed`).to.equal(0);
    const { status } = await this.schedule('secrets-at-rest');
    expect(status).to.deep.include({ phase: 'Pruned', currentKey: key });
    expect(status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True' });
    return status!;
  }
}
