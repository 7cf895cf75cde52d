// The client keeps one connection pool: sockets stay flat however often watches reconnect, and
// requests one after another share one. A watch line's head is as the informer reads it.
import { expect } from 'chai';
import { readdir, readlink } from 'node:fs/promises';
import { configMaps } from '../../../src/kubernetes/resources.ts';
import type { KubeObject, View } from '../../../src/runtime/client.ts';
import { changeHead } from '../../../src/runtime/watch-line.ts';
import { useClient } from '../../../harness/client.ts';


async function openSockets(): Promise<number> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith('socket:')).length;
}

describe('KubeClient', function () {
  this.timeout(120_000);
  const api = useClient();

  it('keeps open sockets flat across 200 watch reconnects', async function () {
    const reconnect = async () => {
      const abort = new AbortController();
      await api.client.watch(configMaps, { namespace: 'kube-system' }, abort.signal, () => abort.abort());
    };
    await reconnect();
    const before = await openSockets();
    for (let i = 0; i < 200; i++) await reconnect();
    const after = await openSockets();
    expect(after, `${before} sockets before, ${after} after`).to.be.at.most(before + 2);
  });

  it('makes requests one after another on one connection', async function () {
    await api.client.get(configMaps, 'kube-root-ca.crt', 'default').catch(() => undefined);
    const before = await openSockets();
    for (let i = 0; i < 50; i++) await api.client.list(configMaps, { namespace: 'kube-system', limit: 1 });
    const after = await openSockets();
    expect(after, `${before} sockets before, ${after} after`).to.be.at.most(before + 1);
  });

  it('watches lines whose head shows the object\'s uid and resourceVersion, whole and as metadata alone (Informer skips echoes by it)', async function () {
    const name = `head-${Date.now()}`;
    const made = await api.client.create<KubeObject>(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: 'b' } });
    const headOfFirstEvent = async (view: View) => {
      const abort = new AbortController();
      let head: ReturnType<typeof changeHead>;
      await api.client.watch(configMaps, { namespace: 'default', fieldSelector: `metadata.name=${name}` }, abort.signal, () => abort.abort(), view,
        (line) => { head = changeHead(line); return false; });
      return head;
    };
    try {
      const { uid, resourceVersion } = made.metadata;
      expect(await headOfFirstEvent({})).to.deep.equal({ uid, resourceVersion });
      expect(await headOfFirstEvent({ metadataOnly: true })).to.deep.equal({ uid, resourceVersion });
    } finally {
      await api.client.delete(configMaps, name, 'default');
    }
  });

  it('reports a failed request as an ApiError with the HTTP code and Status reason', async function () {
    const error = await api.client.get(configMaps, 'no-such-map', 'default').catch((e: unknown) => e);
    expect(error).to.include({ name: 'ApiError', code: 404, reason: 'NotFound' });
  });
});
