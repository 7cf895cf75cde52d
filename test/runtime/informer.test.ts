// The informer's list logic on a small fake API (the real one cannot be made to expire a
// continue token on demand): pages, a restart when the token expires mid-list, and the diff.
import { expect } from 'chai';
import { ApiError, type KubeClient, type KubeObject, type ObjectList, type Resource } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';

const resource: Resource = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };
const object = (name: string, uid = `uid-${name}`, resourceVersion = '1'): KubeObject =>
  ({ metadata: { name, namespace: 'ns', uid, resourceVersion } });

/**
 * Serves `items` two per page; the token of the first page expires once when `expireOnce` is set.
 * A watch stays open until stopped, or until `gone()` ends it with 410 Gone.
 */
function fakeApi(items: () => KubeObject[] | null, expireOnce = false) {
  const calls: (string | undefined)[] = [];
  let expired = !expireOnce;
  let endWatch: ((error: ApiError) => void) | undefined;
  const api = {
    list(_resource: Resource, query: { continue?: string }): Promise<ObjectList> {
      calls.push(query.continue);
      if (query.continue && !expired) {
        expired = true;
        return Promise.reject(new ApiError(410, 'Expired', 'The provided continue parameter is too old'));
      }
      const start = Number(query.continue ?? 0);
      const page = items()?.slice(start, start + 2) ?? null;
      const next = start + 2 < (items()?.length ?? 0) ? String(start + 2) : undefined;
      return Promise.resolve({ metadata: { resourceVersion: '100', continue: next }, items: page });
    },
    watch: (_r: Resource, _q: unknown, signal: AbortSignal) => new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => resolve());
      endWatch = reject;
    }),
  };
  const gone = () => endWatch?.(new ApiError(410, 'Expired', 'too old resource version'));
  return { client: api as unknown as KubeClient, calls, gone };
}

async function synced(informer: Informer): Promise<void> {
  informer.start();
  while (!informer.hasSynced) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('Informer lists', function () {
  it('backs off a watch that the server ends at once, instead of reconnecting in a loop', async function () {
    let watches = 0;
    const api = {
      list: () => Promise.resolve({ metadata: { resourceVersion: '1' }, items: [] }),
      watch: () => {
        watches++;
        return Promise.resolve();
      },
    };
    const informer = new Informer(api as unknown as KubeClient, { resource, backoff: { initialMs: 50, maxMs: 1000 } });
    informer.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await informer.stop();
    // 50, 100, 200 ms (with jitter down to half): at most a handful in half a second.
    expect(watches).to.be.within(2, 8);
  });

  it('reads every page, and starts the list over when its continue token expires', async function () {
    const all = ['a', 'b', 'c', 'd', 'e'].map((name) => object(name));
    const { client, calls } = fakeApi(() => all, true);
    const informer = new Informer(client, { resource });
    const added: string[] = [];
    informer.onEvent((event) => added.push(`${event.type} ${event.object.metadata.name}`));
    await synced(informer);
    await informer.stop();
    expect(calls).to.deep.equal([undefined, '2', undefined, '2', '4']);
    expect(added).to.deep.equal(['add a', 'add b', 'add c', 'add d', 'add e']);
  });

  it('takes an empty list whose items are null (metadata-only lists send them so) as empty', async function () {
    const { client } = fakeApi(() => null);
    const informer = new Informer(client, { resource, metadataOnly: true });
    await synced(informer);
    await informer.stop();
    expect(informer.list()).to.deep.equal([]);
  });

  it('emits exactly the difference on a relist: deletes, changed objects, and a re-create under a new UID', async function () {
    let items = [object('same'), object('changed'), object('gone'), object('recreated')];
    const { client, gone } = fakeApi(() => items);
    let relists = 0;
    const informer = new Informer(client, { resource, observer: { relisted: () => relists++ } });
    await synced(informer);
    const events: string[] = [];
    informer.onEvent((event) => events.push(`${event.type} ${event.object.metadata.name}`));

    items = [object('same'), object('changed', 'uid-changed', '2'), object('recreated', 'uid-new'), object('born')];
    gone();
    while (relists < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    await informer.stop();
    expect(events).to.deep.equal(['update changed', 'delete recreated', 'add recreated', 'add born', 'delete gone']);
    expect(informer.get('recreated', 'ns')?.metadata.uid).to.equal('uid-new');
    expect(informer.getByUid('uid-recreated')).to.equal(undefined);
  });
});
