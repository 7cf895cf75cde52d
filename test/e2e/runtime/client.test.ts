// The client keeps one connection pool: sockets stay flat however often watches reconnect.
import { expect } from 'chai';
import { readdir, readlink } from 'node:fs/promises';
import { configMaps } from '../../../src/kubernetes/resources.ts';
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

  it('reports a failed request as an ApiError with the HTTP code and Status reason', async function () {
    const error = await api.client.get(configMaps, 'no-such-map', 'default').catch((e: unknown) => e);
    expect(error).to.include({ name: 'ApiError', code: 404, reason: 'NotFound' });
  });
});
