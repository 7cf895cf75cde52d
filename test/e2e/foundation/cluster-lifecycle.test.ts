// What the later work needs of the test control plane beyond a plain cluster: encryption at rest,
// more apiservers on one etcd, an apiserver stopped and started again, and no orphans ever.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ControlPlane } from '../../../harness/control-plane/control-plane.ts';
import { isAlive } from '../../../harness/control-plane/process.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';

function encryptionConfig(keyName: string): string {
  return JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{
      resources: ['secrets'],
      providers: [{ aescbc: { keys: [{ name: keyName, secret: randomBytes(32).toString('base64') }] } }, { identity: {} }],
    }],
  });
}

describe('the test control plane, started with options', function () {
  this.timeout(300_000);
  let plane: ControlPlane;

  before(async function () {
    plane = await ControlPlane.start();
    await writeFile(join(plane.dir, 'encryption.json'), encryptionConfig('key1'));
  });

  after(async function () {
    await plane?.stop();
  });

  it('encrypts Secrets at rest in a second apiserver on the same etcd, which alone can read them back', async function () {
    const second = await plane.addApiServer({ address: '127.0.0.2', encryptionConfigFile: join(plane.dir, 'encryption.json') });
    const viaSecond = ['--server', second.url];
    await kubectlOk(plane.kubeconfig, [...viaSecond, 'create', 'secret', 'generic', 'sealed', '--from-literal=token=hunter2']);

    const raw = await plane.readEtcd('/registry/secrets/default/sealed');
    expect(raw.subarray(0, 23).toString()).to.equal('k8s:enc:aescbc:v1:key1:');
    expect(raw.includes('hunter2')).to.equal(false);

    const token = await kubectlOk(plane.kubeconfig, [...viaSecond, 'get', 'secret', 'sealed', '-o', 'jsonpath={.data.token}']);
    expect(Buffer.from(token, 'base64').toString()).to.equal('hunter2');
    // The hazard key rotation must avoid: an apiserver that lacks the key cannot read the Secret.
    const withoutKey = await kubectl(plane.kubeconfig, ['get', 'secret', 'sealed']);
    expect(withoutKey.stderr).to.include('identity transformer tried to read encrypted data');
  });

  it('keeps serving from one apiserver while another is stopped, and starts it again', async function () {
    const second = plane.apiServers[1] ?? await plane.addApiServer({ address: '127.0.0.2' });
    await second.process.stop();
    const refused = await kubectl(plane.kubeconfig, ['--server', second.url, 'get', 'namespaces', '--request-timeout=5s']);
    expect(refused.code).to.not.equal(0);
    await kubectlOk(plane.kubeconfig, ['get', 'namespaces']);

    await plane.startApiServer(second);
    await kubectlOk(plane.kubeconfig, ['--server', second.url, 'get', 'namespaces']);
  });

  it('leaves no process behind when the process that started it is killed', async function () {
    const fixture = new URL('fixtures/start-control-plane.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string];
    const { dir, pids } = JSON.parse(line) as { dir: string; pids: Record<string, number> };
    expect(Object.keys(pids)).to.have.members(['etcd', 'kube-apiserver-0', 'kube-controller-manager']);
    expect(Object.values(pids).every(isAlive)).to.equal(true);

    child.kill('SIGKILL');
    await eventually(() => expect(Object.values(pids).filter(isAlive)).to.deep.equal([]), 10_000);
    await rm(dir, { recursive: true, force: true });
  });
});
