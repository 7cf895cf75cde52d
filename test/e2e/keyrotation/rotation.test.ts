// Key rotation against a control plane of its own, started with an encryption config that it
// reloads automatically. kube-apiserver polls the file once a minute, so a rotation (three
// reload gates) takes minutes: these tests live in their own group.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { ControlPlane } from '../../cluster/control-plane.ts';
import { installCrds } from '../../support/crds.ts';
import { writeInitialEncryptionConfig } from '../../support/encryption.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../support/kubectl.ts';
import { startOperator, stopOperator, type OperatorProcess } from '../../support/operator.ts';

const cli = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const SECRETS = 20;

interface Schedule {
  metadata: { generation: number };
  status?: { phase?: string; currentKey?: string; previousKeys?: string[]; lastRotationTime?: string; observedGeneration?: number;
    lastMigration?: { objectsRewritten: number }; conditions?: { type: string; status: string; reason: string; message: string }[] };
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

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-enc-'));
    configFile = join(dir, 'encryption-config.yaml');
    initialKey = await writeInitialEncryptionConfig(configFile);
    plane = await ControlPlane.start({ encryptionConfigFile: configFile });
    await installCrds(plane.kubeconfig);
    await kubectlAdmin(['create', 'namespace', 'app']);
    await kubectlAdmin(['create', 'namespace', 'palisade-system']);
    for (let i = 0; i < SECRETS; i++) await kubectlAdmin(['create', 'secret', 'generic', `s${i}`, '-n', 'app', `--from-literal=value=${randomBytes(8).toString('hex')}`]);
    operator = await startOperator(cli, plane.kubeconfig, ['--leader-elect=false', `--apiserver-urls=${plane.apiServers[0]!.url}`], ['operator']);
  });

  after(async function () {
    if (operator) await stopOperator(operator, 'SIGKILL');
    await plane?.stop();
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

  it('rotates: every Secret ends up under the new key in etcd, reads back the same, and the old key leaves the config', async function () {
    const before = await secretData();
    let unreadable = 0;
    let reads = 0;
    const reading = { on: true };
    // A reader that checks every Secret all along: none may ever be unreadable.
    const reader = (async () => {
      while (reading.on) {
        const result = await kubectl(plane.kubeconfig, ['get', 'secrets', '-n', 'app', '-o', 'json']);
        reads++;
        if (result.code !== 0) unreadable++;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    await applySchedule('secrets-at-rest', {
      schedule: '0 3 * * 0', provider: 'aescbc', resources: ['secrets'], keyStore: { namespace: 'palisade-system' },
      delivery: { type: 'File', path: configFile }, retainPreviousKeys: 0,
    }, { 'palisade.dev/rotate-now': '1' });
    try {
      await eventually(async () => {
        const { status } = await schedule('secrets-at-rest');
        expect(status?.lastRotationTime, `phase ${status?.phase}`).to.be.a('string');
      }, 480_000, 2_000);
    } finally {
      reading.on = false;
      await reader;
    }
    const { status } = await schedule('secrets-at-rest');
    expect(status).to.deep.include({ phase: 'Pruned', currentKey: 'secrets-at-rest-1', previousKeys: [] });
    expect(status?.lastMigration?.objectsRewritten).to.be.at.least(SECRETS);
    expect(status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True' });
    expect(JSON.stringify(status)).to.not.include(initialKey);

    for (let i = 0; i < SECRETS; i++) {
      const raw = await plane.readEtcd(`/registry/secrets/app/s${i}`);
      expect(raw.subarray(0, 40).toString('latin1'), `s${i}`).to.match(/^k8s:enc:aescbc:v1:secrets-at-rest-1:/);
    }
    expect(await secretData()).to.deep.equal(before);
    expect(unreadable, `${unreadable} of ${reads} reads failed`).to.equal(0);
    const config = load(await readFile(configFile, 'utf8')) as { resources: { providers: Record<string, { keys?: { name: string }[] }>[] }[] };
    expect(config.resources[0]!.providers).to.have.length(1);
    expect(config.resources[0]!.providers[0]!.aescbc!.keys!.map((key) => key.name)).to.deep.equal(['secrets-at-rest-1']);
    const keySecret = JSON.parse(await kubectlAdmin(['get', 'secret', 'secrets-at-rest-1', '-n', 'palisade-system', '-o', 'json'])) as { immutable: boolean; metadata: { finalizers: string[] } };
    expect(keySecret.immutable).to.equal(true);
    expect(keySecret.metadata.finalizers).to.include('palisade.dev/encryption-key');
    const logs = JSON.stringify(operator.logs);
    expect(logs).to.not.include(initialKey);
  });
});
