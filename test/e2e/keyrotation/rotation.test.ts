// Key rotation against a control plane of its own, started with an encryption config that it
// reloads automatically, and serving storagemigration.k8s.io/v1 as Kubernetes does by default:
// kube-controller-manager re-encrypts, and the operator holds no Secret permission outside its
// key stores. (legacy-migration.test.ts: a control plane without that API.)
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { configHash } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import { compareResourceVersions } from '../../../src/kubernetes/resource-version.ts';
import { storageVersionMigrations } from '../../../src/kubernetes/resources.ts';
import { clientFor } from '../../../harness/client.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl } from '../../../harness/kubectl.ts';
import { OPERATOR_USER } from '../../support/least-privilege.ts';
import { stopOperator } from '../../../harness/operator.ts';
import { EncryptedPlane, SECRETS } from './encrypted-plane.ts';

const cli = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
/** With the 20 of namespace app, the 400 Secrets the rotation under kills re-encrypts. */
const BULK_SECRETS = 380;
const KEY_STORES = ['palisade-system', 'palisade-keys'];

interface JobObject {
  metadata: { name: string };
  spec: { template: { spec: { nodeName: string; containers: { image: string; args: string[] }[]; volumes: { secret?: { secretName: string }; hostPath?: unknown }[] } } };
}

describe('KeyRotationSchedule on a control plane with encryption at rest', function () {
  this.timeout(600_000);
  let encrypted: EncryptedPlane;
  const kubectlAdmin = (args: string[], input?: string) => encrypted.kubectl(args, input);

  before(async function () {
    encrypted = await EncryptedPlane.start();
  });

  after(async function () {
    await encrypted?.stop();
  });

  it('refuses bad input with a condition and writes nothing: no key Secret, config untouched', async function () {
    const before = await readFile(encrypted.configFile, 'utf8');
    const refused = await kubectl(encrypted.plane.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', metadata: { name: 'bad-provider' },
      spec: { schedule: '@weekly', provider: 'rot13', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File', path: encrypted.configFile } },
    }));
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include('spec.provider');
    for (const [name, spec, field] of [
      ['bad-cron', { schedule: '61 * * * *', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File', path: encrypted.configFile } }, 'spec.schedule'],
      ['no-keystore', { schedule: '@weekly', keyStore: { namespace: 'nowhere' }, delivery: { type: 'File', path: encrypted.configFile } }, 'spec.keyStore.namespace'],
    ] as const) {
      await encrypted.applySchedule(name, spec);
      await eventually(async () => {
        const ready = (await encrypted.schedule(name)).status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready).to.include({ status: 'False', reason: 'InvalidSpec' });
        expect(ready?.message).to.include(field);
      }, 30_000);
      await kubectlAdmin(['delete', 'keyrotationschedule', name]);
    }
    expect(await kubectlAdmin(['get', 'secrets', '-n', 'palisade-system', '-o', 'name'])).to.equal('');
    expect(await readFile(encrypted.configFile, 'utf8')).to.equal(before);
  });

  it('rotates (aescbc) through a StorageVersionMigration: every Secret under the new key in etcd, reads back the same, the old key leaves the config', async function () {
    // Someone else's migration holds the name: the rotation says so and waits until it is gone.
    await kubectlAdmin(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'storagemigration.k8s.io/v1', kind: 'StorageVersionMigration', metadata: { name: 'secrets-at-rest-secrets' }, spec: { resource: { group: '', resource: 'configmaps' } },
    }));
    let held: string | undefined;
    const status = await encrypted.rotate('aescbc', '1', async ({ conditions }) => {
      const degraded = conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
      if (held || !degraded?.message.includes('is not this schedule\'s')) return;
      held = degraded.message;
      await kubectlAdmin(['delete', 'storageversionmigration', 'secrets-at-rest-secrets']);
    });
    expect(held).to.include('StorageVersionMigration secrets-at-rest-secrets exists');
    expect(status.previousKeys).to.deep.equal([]);
    expect(status.lastMigration).to.include({ path: 'StorageVersionMigration' });
    expect(status.lastMigration?.resources).to.have.length(1);
    expect(status.lastMigration?.resources?.[0]).to.include({ resource: 'secrets', name: 'secrets-at-rest-secrets', state: 'Succeeded' });
    const { total, underKey } = await encrypted.secretsInEtcd('aescbc', 'secrets-at-rest-1');
    expect(underKey, 'every Secret in etcd, the new key\'s own included').to.equal(total);
    expect(await kubectlAdmin(['get', 'storageversionmigrations', '-o', 'name']), 'the migration is cleaned up').to.equal('');
    expect(JSON.stringify(status)).to.not.include(encrypted.initialKey);
    const config = load(await readFile(encrypted.configFile, 'utf8')) as { resources: { providers: Record<string, { keys?: { name: string }[] }>[] }[] };
    expect(config.resources[0]!.providers).to.have.length(1);
    expect(config.resources[0]!.providers[0]!.aescbc!.keys!.map((key) => key.name)).to.deep.equal(['secrets-at-rest-1']);
    const keySecret = JSON.parse(await kubectlAdmin(['get', 'secret', 'secrets-at-rest-1', '-n', 'palisade-system', '-o', 'json'])) as { immutable: boolean; metadata: { finalizers: string[] } };
    expect(keySecret.immutable).to.equal(true);
    expect(keySecret.metadata.finalizers).to.include('palisade.dev/encryption-key');
    expect(JSON.stringify(encrypted.operator.logs)).to.not.include(encrypted.initialKey);
  });

  it('rotates (secretbox) 400 Secrets to the end though SIGKILLed in every phase, the migration\'s included, and restarted; the proof is the migration\'s resourceVersion', async function () {
    await encrypted.createBulkSecrets(BULK_SECRETS);
    // The operator dies the moment its migration appears: kube-controller-manager migrates while
    // it is down, and the restarted one must find the result and prove it.
    const killedIn = new Set<string>();
    const dieOnMigration = ({ type }: { type: string }) => {
      if (type !== 'ADDED' || killedIn.has('Migrating')) return;
      killedIn.add('Migrating');
      void encrypted.restart();
    };
    let writeKeyRevision: string | undefined;
    const status = await encrypted.rotateKilledInEveryPhase('secretbox', '2', killedIn, {
      watches: [{ resource: storageVersionMigrations, onEvent: dieOnMigration }],
      seen: ({ rotation }) => {
        writeKeyRevision ??= rotation?.writeKeyRevision;
      },
    });
    expect([...killedIn]).to.include.members(['ReadStaged', 'WriteStaged', 'Migrating']);
    expect(status.previousKeys).to.deep.equal(['secrets-at-rest-1']);
    const { total, underKey } = await encrypted.secretsInEtcd('secretbox', 'secrets-at-rest-2');
    expect(total).to.be.at.least(SECRETS + BULK_SECRETS);
    expect(underKey, 'every Secret in etcd under the new key').to.equal(total);
    const [migration] = status.lastMigration?.resources ?? [];
    expect(migration).to.include({ resource: 'secrets', state: 'Succeeded' });
    expect(writeKeyRevision, 'recorded once the apiserver wrote with the new key').to.be.a('string');
    expect(compareResourceVersions(migration!.resourceVersion!, writeKeyRevision!), 'the migration covers everything written before').to.be.at.least(0);
  });

  it('rotates (aesgcm) with two apiservers, and promotes the key only once the lagging one has loaded it', async function () {
    // The second apiserver reads its own copy of the file, which gets the staged key 90 s late:
    // longer than the first one takes to load it, so only the gate can hold the promotion.
    const copy = join(dirname(encrypted.configFile), 'lagging-copy.yaml');
    await copyFile(encrypted.configFile, copy);
    const second = await encrypted.plane.addApiServer({ address: '127.0.0.2', encryptionConfigFile: copy });
    await stopOperator(encrypted.operator, 'SIGKILL');
    await encrypted.startOperator([encrypted.plane.apiServers[0]!.url, second.url]);
    let stagedAt: number | undefined;
    let promotionSeenWith: string | undefined;
    const delivering = { on: true };
    const delivery = (async () => {
      while (delivering.on) {
        const [main, lagging] = [await readFile(encrypted.configFile, 'utf8'), await readFile(copy, 'utf8')];
        const names = (text: string) => (load(text) as { resources: { providers: Record<string, { keys?: { name: string }[] }>[] }[] })
          .resources[0]!.providers.flatMap((provider) => Object.values(provider).flatMap((settings) => settings?.keys?.map((k) => k.name) ?? []));
        if (names(main)[0] === 'secrets-at-rest-3' && promotionSeenWith === undefined) promotionSeenWith = lagging;
        const staged = names(main).indexOf('secrets-at-rest-3') > 0;
        if (staged) stagedAt ??= Date.now();
        if (main !== lagging && (!staged || Date.now() - stagedAt! > 90_000)) await copyFile(encrypted.configFile, copy);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      await encrypted.rotate('aesgcm', '3');
    } finally {
      delivering.on = false;
      await delivery;
    }
    expect(promotionSeenWith, 'when the key was promoted, the lagging apiserver had it for reading').to.include('secrets-at-rest-3');
    const client = await clientFor(encrypted.plane.kubeconfig);
    const metrics = await client.getText(second.url, '/metrics').finally(() => client.close());
    expect(metrics, 'the second apiserver runs the final config').to.include(`hash="${configHash(await readFile(encrypted.configFile, 'utf8'))}"`);
    await eventually(async () => expect((await kubectl(encrypted.plane.kubeconfig, ['get', 'secret', 'secrets-at-rest-1', '-n', 'palisade-system'])).code).to.not.equal(0), 30_000);
  });
  it('delivers with HostPathJob: a Job per control-plane node writes the recorded config with palisade write-encryption-config', async function () {
    // Two control-plane nodes, each with its own file (the two apiservers'); this test plays their
    // kubelets: it runs each Job's command, the real CLI, with the Secret the Job mounts.
    const copy = join(dirname(encrypted.configFile), 'lagging-copy.yaml');
    const fileOf: Record<string, string> = { 'cp-a': encrypted.configFile, 'cp-b': copy };
    for (const node of Object.keys(fileOf)) {
      await kubectlAdmin(['apply', '--server-side', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      }));
    }
    // Adoption: the record of the config the nodes run, as the README asks an administrator to seed it.
    await kubectlAdmin(['create', 'secret', 'generic', 'secrets-at-rest-encryption-config', '-n', 'palisade-keys', `--from-file=encryption-config.yaml=${encrypted.configFile}`]);
    await stopOperator(encrypted.operator, 'SIGKILL');
    await encrypted.startOperator(encrypted.plane.apiServers.map((server) => server.url), '--image=palisade:test');
    const ran = new Set<string>();
    const kubelets = { on: true };
    const kubelet = (async () => {
      while (kubelets.on) {
        const jobs = JSON.parse(await kubectlAdmin(['get', 'jobs', '-n', 'palisade-keys', '-o', 'json'])) as { items: JobObject[] };
        for (const job of jobs.items.filter((j) => !ran.has(j.metadata.name))) {
          ran.add(job.metadata.name);
          const pod = job.spec.template.spec;
          const record = JSON.parse(await kubectlAdmin(['get', 'secret', pod.volumes[0]!.secret!.secretName, '-n', 'palisade-keys', '-o', 'json'])) as { data: Record<string, string> };
          const mounted = join(dirname(encrypted.configFile), `mounted-${job.metadata.name}.yaml`);
          await writeFile(mounted, Buffer.from(record.data['encryption-config.yaml']!, 'base64'));
          const args = pod.containers[0]!.args.map((arg) => arg.replace('/palisade/encryption-config.yaml', mounted).replace(/^\/host\/.*/, fileOf[pod.nodeName]!));
          await promisify(execFile)(process.execPath, [cli, ...args]);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      const hostPathJob = { keyStore: { namespace: 'palisade-keys' }, delivery: { type: 'HostPathJob', path: encrypted.configFile } };
      await encrypted.rotate('aescbc', '4', undefined, hostPathJob);
      // Again, from the record alone: the first HostPathJob key is pruned from palisade-keys.
      await encrypted.rotate('aescbc', '5', undefined, hostPathJob);
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
      expect(pod.volumes[1]!.hostPath).to.deep.equal({ path: dirname(encrypted.configFile), type: 'DirectoryOrCreate' });
    }
    expect(await readFile(copy, 'utf8'), 'both nodes run the same config').to.equal(await readFile(encrypted.configFile, 'utf8'));
    await kubectlAdmin(['get', 'secret', 'secrets-at-rest-5', '-n', 'palisade-keys']);
    await eventually(async () => expect((await kubectl(encrypted.plane.kubeconfig, ['get', 'secret', 'secrets-at-rest-4', '-n', 'palisade-keys'])).code, 'the previous key is pruned').to.not.equal(0), 30_000);
    const record = JSON.parse(await kubectlAdmin(['get', 'secret', 'secrets-at-rest-encryption-config', '-n', 'palisade-keys', '-o', 'json'])) as { data: Record<string, string> };
    expect(Buffer.from(record.data['encryption-config.yaml']!, 'base64').toString('utf8'), 'the record is what the nodes run').to.equal(await readFile(encrypted.configFile, 'utf8'));
  });

  it('holds no Secret permission outside its key stores: none asked for in any rotation above, and list secrets everywhere is refused', async function () {
    const canI = await kubectl(encrypted.plane.kubeconfig, ['auth', 'can-i', 'list', 'secrets', '--all-namespaces', '--as', OPERATOR_USER]);
    expect(canI.stdout.trim()).to.equal('no');
    const requests = (await encrypted.plane.auditEvents()).filter((event) => event.user.username === OPERATOR_USER);
    expect(requests.filter((event) => event.objectRef?.resource === 'storageversionmigrations' && event.verb === 'create')).to.have.length.at.least(4);
    const outside = requests.filter((event) => event.objectRef?.resource === 'secrets' && !KEY_STORES.includes(event.objectRef.namespace ?? ''));
    expect(outside.map((event) => `${event.verb} ${event.requestURI}`)).to.deep.equal([]);
  });
});
