// Key rotation against a control plane of its own, started with an encryption config that it
// reloads automatically. kube-apiserver polls the file once a minute, so a rotation (three
// reload gates) takes minutes: these tests live in their own group.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { schedules } from '../../../src/api/resources.ts';
import { configHash } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import { PAGE_SIZE } from '../../../src/controllers/keyrotationschedule/migrate.ts';
import type { Migration } from '../../../src/controllers/keyrotationschedule/plan.ts';
import { secrets } from '../../../src/kubernetes/resources.ts';
import type { KubeObject, Resource, WatchEvent } from '../../../src/runtime/client.ts';
import { inParallel } from '../../../src/runtime/parallel.ts';
import { ControlPlane } from '../../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../../harness/client.ts';
import { installCrds } from '../../../harness/crds.ts';
import { writeInitialEncryptionConfig } from '../../../harness/encryption.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { keepOperatorRequests, OPERATOR_USER, startPalisadeOperator } from '../../support/least-privilege.ts';
import { stopOperator, type OperatorProcess } from '../../../harness/operator.ts';

const cli = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const SECRETS = 20;
/** Enough more Secrets that a pass of re-encryption takes several pages. */
const BULK_SECRETS = 380;

interface JobObject {
  metadata: { name: string };
  spec: { template: { spec: { nodeName: string; containers: { image: string; args: string[] }[]; volumes: { secret?: { secretName: string }; hostPath?: unknown }[] } } };
}

interface Schedule {
  metadata: { generation: number };
  status?: { phase?: string; rotation?: { key: string; migration?: Migration }; currentKey?: string; previousKeys?: string[]; lastRotationTime?: string; observedGeneration?: number;
    lastMigration?: { objectsChecked?: number; objectsRewritten: number }; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

describe('KeyRotationSchedule on a control plane with encryption at rest', function () {
  this.timeout(600_000);
  let plane: ControlPlane;
  let configFile: string;
  let operator: OperatorProcess;
  let initialKey: string;
  const kubectlAdmin = (args: string[], input?: string) => kubectlOk(plane.kubeconfig, args, input);
  const schedule = async (name: string) => JSON.parse(await kubectlAdmin(['get', 'keyrotationschedule', name, '-o', 'json'])) as Schedule;
  const applySchedule = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) => kubectlAdmin(['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', metadata: { name, annotations }, spec }));
  const secretData = async () => (JSON.parse(await kubectlAdmin(['get', 'secrets', '-n', 'app', '-o', 'json'])) as { items: { metadata: { name: string }; data: Record<string, string> }[] })
    .items.map((item) => [item.metadata.name, item.data]);
  /** How many Secrets etcd holds, and how many of them are encrypted with `key` of `provider`. */
  const secretsInEtcd = async (provider: string, key: string) => {
    const { stdout } = await promisify(execFile)(join(plane.binDir, 'etcdctl'), [`--endpoints=${plane.etcdUrl}`, 'get', '/registry/secrets/', '--prefix', '-w', 'json'], { maxBuffer: 64 << 20 });
    const values = ((JSON.parse(stdout) as { kvs?: { value: string }[] }).kvs ?? []).map(({ value }) => Buffer.from(value, 'base64').subarray(0, 80).toString('latin1'));
    return { total: values.length, underKey: values.filter((value) => value.startsWith(`k8s:enc:${provider}:v1:${key}:`)).length };
  };

  // The apiservers are named: this control plane's default/kubernetes has no endpoints.
  const startOperatorFor = async (urls: string[], ...flags: string[]) => {
    operator = await startPalisadeOperator(plane, ['--leader-elect=false', `--apiserver-urls=${urls.join(',')}`, ...flags]);
  };
  const spec = (provider: string) => ({
    schedule: '0 3 * * 0', provider, resources: ['secrets'], keyStore: { namespace: 'palisade-system' },
    delivery: { type: 'File', path: configFile }, retainPreviousKeys: provider === 'aescbc' ? 0 : 1,
  });

  /**
   * Runs a rotation to its end with a reader that checks every Secret all along (none may ever be
   * unreadable); `watch` sees each status on the way. Resolves with the final status.
   */
  async function rotate(provider: string, run: string, watch: (status: NonNullable<Schedule['status']>) => Promise<void> = () => Promise.resolve(),
    overrides: Record<string, unknown> = {}) {
    const before = await secretData();
    const last = (await schedule('secrets-at-rest').catch(() => undefined))?.status?.lastRotationTime;
    let unreadable = 0;
    let reads = 0;
    const reading = { on: true };
    const reader = (async () => {
      while (reading.on) {
        const result = await kubectl(plane.kubeconfig, ['get', 'secrets', '-n', 'app', '-o', 'json']);
        reads++;
        if (result.code !== 0) unreadable++;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    await applySchedule('secrets-at-rest', { ...spec(provider), ...overrides }, { 'palisade.dev/rotate-now': run });
    try {
      await eventually(async () => {
        const { status } = await schedule('secrets-at-rest');
        await watch(status ?? {});
        expect(status?.lastRotationTime !== last && status?.lastRotationTime, `phase ${status?.phase}`).to.be.a('string');
      }, 480_000, 1_000);
    } finally {
      reading.on = false;
      await reader;
    }
    const key = `secrets-at-rest-${run}`;
    for (let i = 0; i < SECRETS; i++) {
      const raw = await plane.readEtcd(`/registry/secrets/app/s${i}`);
      expect(raw.subarray(0, 60).toString('latin1'), `s${i}`).to.match(new RegExp(`^k8s:enc:${provider}:v1:${key}:`));
    }
    expect(await secretData(), 'every Secret reads back as it was').to.deep.equal(before);
    expect(unreadable, `${unreadable} of ${reads} reads failed`).to.equal(0);
    const { status } = await schedule('secrets-at-rest');
    expect(status).to.deep.include({ phase: 'Pruned', currentKey: key });
    expect(status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True' });
    return status!;
  }

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-enc-'));
    configFile = join(dir, 'encryption-config.yaml');
    initialKey = await writeInitialEncryptionConfig(configFile);
    plane = await ControlPlane.start({ encryptionConfigFile: configFile, auditedUsers: [OPERATOR_USER] });
    await installCrds(plane.kubeconfig);
    await kubectlAdmin(['create', 'namespace', 'app']);
    for (let i = 0; i < SECRETS; i++) await kubectlAdmin(['create', 'secret', 'generic', `s${i}`, '-n', 'app', `--from-literal=value=${randomBytes(8).toString('hex')}`]);
    await startOperatorFor([plane.apiServers[0]!.url]);
  });

  after(async function () {
    if (operator) await stopOperator(operator, 'SIGKILL');
    try {
      if (plane) await keepOperatorRequests(plane);
    } finally {
      await plane?.stop();
    }
  });

  it('refuses bad input with a condition and writes nothing: no key Secret, config untouched', async function () {
    const before = await readFile(configFile, 'utf8');
    const refused = await kubectl(plane.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', metadata: { name: 'bad-provider' },
      spec: { schedule: '@weekly', provider: 'rot13', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File', path: configFile } },
    }));
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include('spec.provider');
    for (const [name, spec, field] of [
      ['bad-cron', { schedule: '61 * * * *', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File', path: configFile } }, 'spec.schedule'],
      ['no-keystore', { schedule: '@weekly', keyStore: { namespace: 'nowhere' }, delivery: { type: 'File', path: configFile } }, 'spec.keyStore.namespace'],
    ] as const) {
      await applySchedule(name, spec);
      await eventually(async () => {
        const ready = (await schedule(name)).status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready).to.include({ status: 'False', reason: 'InvalidSpec' });
        expect(ready?.message).to.include(field);
      }, 30_000);
      await kubectlAdmin(['delete', 'keyrotationschedule', name]);
    }
    expect(await kubectlAdmin(['get', 'secrets', '-n', 'palisade-system', '-o', 'name'])).to.equal('');
    expect(await readFile(configFile, 'utf8')).to.equal(before);
  });

  it('rotates (aescbc): every Secret ends up under the new key in etcd, reads back the same, and the old key leaves the config', async function () {
    const status = await rotate('aescbc', '1');
    expect(status.previousKeys).to.deep.equal([]);
    // Every Secret, the new key's own included, was under the initial key.
    const { total } = await secretsInEtcd('aescbc', 'secrets-at-rest-1');
    expect(total).to.be.at.least(SECRETS);
    expect(status.lastMigration).to.include({ objectsChecked: total, objectsRewritten: total });
    expect(JSON.stringify(status)).to.not.include(initialKey);
    const config = load(await readFile(configFile, 'utf8')) as { resources: { providers: Record<string, { keys?: { name: string }[] }>[] }[] };
    expect(config.resources[0]!.providers).to.have.length(1);
    expect(config.resources[0]!.providers[0]!.aescbc!.keys!.map((key) => key.name)).to.deep.equal(['secrets-at-rest-1']);
    const keySecret = JSON.parse(await kubectlAdmin(['get', 'secret', 'secrets-at-rest-1', '-n', 'palisade-system', '-o', 'json'])) as { immutable: boolean; metadata: { finalizers: string[] } };
    expect(keySecret.immutable).to.equal(true);
    expect(keySecret.metadata.finalizers).to.include('palisade.dev/encryption-key');
    expect(JSON.stringify(operator.logs)).to.not.include(initialKey);
  });

  it('rotates (secretbox) to the end though SIGKILLed in every phase it is seen in, mid-page in the migration, and restarted; counts truthfully', async function () {
    const client = await clientFor(plane.kubeconfig);
    await kubectlAdmin(['create', 'namespace', 'bulk']);
    await inParallel(Array.from({ length: BULK_SECRETS }, (_, i) => i), 16, (i) => client.create(secrets,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `b${i}`, namespace: 'bulk' }, stringData: { value: randomBytes(8).toString('hex') } }));
    // Restarts one at a time: the poll below and the watch of the migration both kill.
    let restarts = Promise.resolve();
    const restart = (whileDown: () => Promise<void> = () => Promise.resolve()) => (restarts = restarts.then(async () => {
      await stopOperator(operator, 'SIGKILL');
      await whileDown();
      await startOperatorFor([plane.apiServers[0]!.url]);
    }));
    const killedIn = new Set<string>();
    // The migration, checkpoint by checkpoint: polling would miss its pages. Once pass 1 recorded
    // its first page, the first Secret it rewrites beyond those ends the operator: mid-page. (Only
    // the migration modifies Secrets here; each rewrite is a MODIFIED event.)
    const checkpoints: { phase?: string; migration: Migration }[] = [];
    let rewrites = 0;
    let killAfter: number | undefined;
    let atKill: { recorded: Migration; underNewKey: number; total: number } | undefined;
    const killMidPage = () => restart(async () => {
      // What the killed operator had sent lands; then the cluster holds still.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const { status } = await schedule('secrets-at-rest');
      const { total, underKey } = await secretsInEtcd('secretbox', 'secrets-at-rest-2');
      atKill = { recorded: status!.rotation!.migration!, underNewKey: underKey, total };
    });
    const watching = new AbortController();
    const watchUntilAborted = async <T extends KubeObject>(resource: Resource, query: { fieldSelector?: string }, onEvent: (event: WatchEvent<T>) => void) => {
      while (!watching.signal.aborted) await client.watch<T>(resource, query, watching.signal, onEvent);
    };
    const watches = Promise.all([
      watchUntilAborted<KubeObject & Schedule>(schedules, { fieldSelector: 'metadata.name=secrets-at-rest' }, ({ object }) => {
        const { phase, rotation } = object.status ?? {};
        if (rotation?.key !== 'secrets-at-rest-2' || !rotation.migration) return;
        checkpoints.push({ phase, migration: rotation.migration });
        if (rotation.migration.pass === 1 && rotation.migration.continue) killAfter ??= rotation.migration.rewritten;
      }),
      watchUntilAborted(secrets, {}, ({ type }) => {
        if (type !== 'MODIFIED') return;
        rewrites++;
        if (killAfter === undefined || rewrites <= killAfter || killedIn.has('Migrating')) return;
        killedIn.add('Migrating');
        void killMidPage();
      }),
    ]);
    let status: Awaited<ReturnType<typeof rotate>>;
    try {
      status = await rotate('secretbox', '2', async ({ phase, rotation }) => {
        if (!rotation || !phase || phase === 'Migrating' || killedIn.has(phase)) return;
        killedIn.add(phase);
        await restart();
      });
    } finally {
      watching.abort();
      await watches;
      await restarts;
      await client.close();
    }
    expect([...killedIn]).to.include.members(['ReadStaged', 'WriteStaged', 'Migrating']);
    expect(status.previousKeys).to.deep.equal(['secrets-at-rest-1']);
    // Every checkpoint names the step under way: pass 1 re-encrypts, later passes verify.
    const phasesOf = (inPass: (pass: number) => boolean) => new Set(checkpoints.filter(({ migration }) => inPass(migration.pass) && !migration.verifiedAt).map(({ phase }) => phase));
    expect(phasesOf((pass) => pass === 1)).to.deep.equal(new Set(['Migrating']));
    expect(phasesOf((pass) => pass > 1)).to.deep.equal(new Set(['Verified']));
    // Killed mid-migration: what the cut page had rewritten the resumed pass finds under the new key.
    const { recorded, underNewKey, total } = atKill!;
    expect(recorded.pass).to.equal(1);
    expect(recorded.checked).to.be.below(total);
    const unrecorded = underNewKey - recorded.rewritten;
    expect(unrecorded, 'rewritten by the page the kill cut short').to.be.within(1, PAGE_SIZE);
    expect(status.lastMigration).to.include({ objectsChecked: total, objectsRewritten: total - unrecorded });
  });

  it('rotates (aesgcm) with two apiservers, and promotes the key only once the lagging one has loaded it', async function () {
    // The second apiserver reads its own copy of the file, which gets the staged key 90 s late:
    // longer than the first one takes to load it, so only the gate can hold the promotion.
    const copy = join(dirname(configFile), 'lagging-copy.yaml');
    await copyFile(configFile, copy);
    const second = await plane.addApiServer({ address: '127.0.0.2', encryptionConfigFile: copy });
    await stopOperator(operator, 'SIGKILL');
    await startOperatorFor([plane.apiServers[0]!.url, second.url]);
    let stagedAt: number | undefined;
    let promotionSeenWith: string | undefined;
    const delivering = { on: true };
    const delivery = (async () => {
      while (delivering.on) {
        const [main, lagging] = [await readFile(configFile, 'utf8'), await readFile(copy, 'utf8')];
        const names = (text: string) => (load(text) as { resources: { providers: Record<string, { keys?: { name: string }[] }>[] }[] })
          .resources[0]!.providers.flatMap((provider) => Object.values(provider).flatMap((settings) => settings?.keys?.map((k) => k.name) ?? []));
        if (names(main)[0] === 'secrets-at-rest-3' && promotionSeenWith === undefined) promotionSeenWith = lagging;
        const staged = names(main).indexOf('secrets-at-rest-3') > 0;
        if (staged) stagedAt ??= Date.now();
        if (main !== lagging && (!staged || Date.now() - stagedAt! > 90_000)) await copyFile(configFile, copy);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      await rotate('aesgcm', '3');
    } finally {
      delivering.on = false;
      await delivery;
    }
    expect(promotionSeenWith, 'when the key was promoted, the lagging apiserver had it for reading').to.include('secrets-at-rest-3');
    const client = await clientFor(plane.kubeconfig);
    const metrics = await client.getText(second.url, '/metrics').finally(() => client.close());
    expect(metrics, 'the second apiserver runs the final config').to.include(`hash="${configHash(await readFile(configFile, 'utf8'))}"`);
    await eventually(async () => expect((await kubectl(plane.kubeconfig, ['get', 'secret', 'secrets-at-rest-1', '-n', 'palisade-system'])).code).to.not.equal(0), 30_000);
  });
  it('delivers with HostPathJob: a Job per control-plane node writes the recorded config with palisade write-encryption-config', async function () {
    // Two control-plane nodes, each with its own file (the two apiservers'); this test plays their
    // kubelets: it runs each Job's command, the real CLI, with the Secret the Job mounts.
    const copy = join(dirname(configFile), 'lagging-copy.yaml');
    const fileOf: Record<string, string> = { 'cp-a': configFile, 'cp-b': copy };
    for (const node of Object.keys(fileOf)) {
      await kubectlAdmin(['apply', '--server-side', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      }));
    }
    // Adoption: the record of the config the nodes run, as the README asks an administrator to seed it.
    await kubectlAdmin(['create', 'secret', 'generic', 'secrets-at-rest-encryption-config', '-n', 'palisade-keys', `--from-file=encryption-config.yaml=${configFile}`]);
    await stopOperator(operator, 'SIGKILL');
    await startOperatorFor(plane.apiServers.map((server) => server.url), '--image=palisade:test');
    const ran = new Set<string>();
    const kubelets = { on: true };
    const kubelet = (async () => {
      while (kubelets.on) {
        const jobs = JSON.parse(await kubectlAdmin(['get', 'jobs', '-n', 'palisade-keys', '-o', 'json'])) as { items: JobObject[] };
        for (const job of jobs.items.filter((j) => !ran.has(j.metadata.name))) {
          ran.add(job.metadata.name);
          const pod = job.spec.template.spec;
          const record = JSON.parse(await kubectlAdmin(['get', 'secret', pod.volumes[0]!.secret!.secretName, '-n', 'palisade-keys', '-o', 'json'])) as { data: Record<string, string> };
          const mounted = join(dirname(configFile), `mounted-${job.metadata.name}.yaml`);
          await writeFile(mounted, Buffer.from(record.data['encryption-config.yaml']!, 'base64'));
          const args = pod.containers[0]!.args.map((arg) => arg.replace('/palisade/encryption-config.yaml', mounted).replace(/^\/host\/.*/, fileOf[pod.nodeName]!));
          await promisify(execFile)(process.execPath, [cli, ...args]);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      const hostPathJob = { keyStore: { namespace: 'palisade-keys' }, delivery: { type: 'HostPathJob', path: configFile } };
      await rotate('aescbc', '4', undefined, hostPathJob);
      // Again, from the record alone: the first HostPathJob key is pruned from palisade-keys.
      await rotate('aescbc', '5', undefined, hostPathJob);
    } finally {
      kubelets.on = false;
      await kubelet;
    }
    const jobs = (JSON.parse(await kubectlAdmin(['get', 'jobs', '-n', 'palisade-keys', '-o', 'json'])) as { items: JobObject[] }).items;
    expect(new Set(jobs.map((job) => job.spec.template.spec.nodeName))).to.deep.equal(new Set(['cp-a', 'cp-b']));
    for (const job of jobs) {
      const pod = job.spec.template.spec;
      expect(pod.containers[0]!.image).to.equal('palisade:test');
      expect(pod.containers[0]!.args.slice(0, 1)).to.deep.equal(['write-encryption-config']);
      expect(pod.volumes[1]!.hostPath).to.deep.equal({ path: dirname(configFile), type: 'DirectoryOrCreate' });
    }
    expect(await readFile(copy, 'utf8'), 'both nodes run the same config').to.equal(await readFile(configFile, 'utf8'));
    await kubectlAdmin(['get', 'secret', 'secrets-at-rest-5', '-n', 'palisade-keys']);
    await eventually(async () => expect((await kubectl(plane.kubeconfig, ['get', 'secret', 'secrets-at-rest-4', '-n', 'palisade-keys'])).code, 'the previous key is pruned').to.not.equal(0), 30_000);
    const record = JSON.parse(await kubectlAdmin(['get', 'secret', 'secrets-at-rest-encryption-config', '-n', 'palisade-keys', '-o', 'json'])) as { data: Record<string, string> };
    expect(Buffer.from(record.data['encryption-config.yaml']!, 'base64').toString('utf8'), 'the record is what the nodes run').to.equal(await readFile(configFile, 'utf8'));
  });
});
