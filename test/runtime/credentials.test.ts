import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { loadCredentials } from '../../src/runtime/credentials.ts';

async function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-kubeconfig-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  const file = join(dir, 'config');
  await writeFile(file, dump({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'here',
    contexts: [{ name: 'here', context: { cluster: 'c', user: 'u' } }, { name: 'elsewhere', context: { cluster: 'x', user: 'x' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
  }));
  return file;
}

describe('loadCredentials', function () {
  it('reads certificates from files relative to the kubeconfig', async function () {
    const file = await kubeconfig({ 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'u.crt', 'client-key': 'u.key' },
      { 'ca.crt': 'CA', 'u.crt': 'CERT', 'u.key': 'KEY' });
    const credentials = await loadCredentials(file);
    expect(credentials.server).to.equal('https://127.0.0.1:6443');
    expect(credentials.tls).to.deep.include({ rejectUnauthorized: true });
    expect([credentials.tls.ca, credentials.tls.cert, credentials.tls.key].map(String)).to.deep.equal(['CA', 'CERT', 'KEY']);
    expect(await credentials.headers()).to.deep.equal({});
  });

  it('reads inline data, a token, TLS server name and skip-verify', async function () {
    const file = await kubeconfig(
      { 'certificate-authority-data': Buffer.from('CA').toString('base64'), 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' },
      { token: 's3cret' },
    );
    const credentials = await loadCredentials(file);
    expect(String(credentials.tls.ca)).to.equal('CA');
    expect(credentials.tls).to.deep.include({ rejectUnauthorized: false, servername: 'api.internal' });
    expect(await credentials.headers()).to.deep.equal({ authorization: 'Bearer s3cret' });
  });

  it('reads a token file', async function () {
    const file = await kubeconfig({}, { tokenFile: 'token' }, { token: 'from-file\n' });
    expect(await (await loadCredentials(file)).headers()).to.deep.equal({ authorization: 'Bearer from-file' });
  });

  it('runs an exec credential plugin through client-node', async function () {
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } });
    const file = await kubeconfig({}, {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', `console.log(${JSON.stringify(credential)})`], interactiveMode: 'Never' },
    });
    expect(await (await loadCredentials(file)).headers()).to.deep.equal({ authorization: 'Bearer from-exec' });
  });

  it('says which file lacks a current context', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-kubeconfig-')), 'empty');
    await writeFile(file, 'apiVersion: v1\nkind: Config\n');
    const error = await loadCredentials(file).catch((e: unknown) => e);
    expect(String(error)).to.include(`${file}: no current context`);
  });
});
