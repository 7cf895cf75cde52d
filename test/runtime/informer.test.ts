// The informer's list logic on a small fake API (the real one cannot be made to expire a
// continue token on demand, nor hold a watch event back): pages, a restart when the token expires
// mid-list, the diff, and a write's answer cached ahead of its watch event.
import { expect } from 'chai';
import { ApiError, type KubeClient, type KubeObject, type ObjectList, type Resource, type WatchEvent } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';

const resource: Resource = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };
const object = (name: string, uid = `uid-${name}`, resourceVersion = '1'): KubeObject =>
  ({ metadata: { name, namespace: 'ns', uid, resourceVersion } });

/**
 * Serves `items` two per page; the token of the first page expires once when `expireOnce` is set.
 * A watch stays open until stopped, or until `gone()` ends it with 410 Gone; `send` delivers an event on it.
 */
function fakeApi(items: () => KubeObject[] | null, expireOnce = false, listResourceVersion = () => '100') {
  const calls: (string | undefined)[] = [];
  let expired = !expireOnce;
  let endWatch: ((error: ApiError) => void) | undefined;
  let deliver: ((event: WatchEvent) => void) | undefined;
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
      return Promise.resolve({ metadata: { resourceVersion: listResourceVersion(), continue: next }, items: page });
    },
    watch: (_r: Resource, _q: unknown, signal: AbortSignal, onEvent: (event: WatchEvent) => void) => new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => resolve());
      endWatch = reject;
      deliver = onEvent;
    }),
  };
  const gone = () => endWatch?.(new ApiError(410, 'Expired', 'too old resource version'));
  const send = async (type: WatchEvent['type'], object: KubeObject) => {
    while (!deliver) await new Promise((resolve) => setTimeout(resolve, 1));
    deliver({ type, object });
  };
  return { client: api as unknown as KubeClient, calls, gone, send };
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

describe('Informer.assume', function () {
  async function syncedWith(items: KubeObject[], options: { labelSelector?: string } = {}) {
    let listed = items;
    let listResourceVersion = '100';
    let relists = 0;
    const { client, send, gone } = fakeApi(() => listed, false, () => listResourceVersion);
    const informer = new Informer(client, { resource, ...options, observer: { relisted: () => relists++ } });
    await synced(informer);
    const events: string[] = [];
    informer.onEvent((event) => events.push(`${event.type} ${event.object.metadata.name} ${event.object.metadata.resourceVersion}`));
    /** Ends the watch with 410 Gone and waits for the list that follows: `items` at `resourceVersion`. */
    const relist = async (items: KubeObject[], resourceVersion: string) => {
      [listed, listResourceVersion] = [items, resourceVersion];
      const before = relists;
      gone();
      while (relists === before) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    return { informer, events, send, relist };
  }
  const resourceVersionOf = (informer: Informer, name: string) => informer.get(name, 'ns')?.metadata.resourceVersion;

  it('caches a write\'s answer ahead of its watch event, telling no handler; that event is then no change', async function () {
    const { informer, events, send } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '101'));
    informer.assume(object('b', 'uid-b', '102'));
    expect([resourceVersionOf(informer, 'a'), resourceVersionOf(informer, 'b')]).to.deep.equal(['101', '102']);
    await send('MODIFIED', object('a', 'uid-a', '101'));
    await send('ADDED', object('b', 'uid-b', '102'));
    await send('MODIFIED', object('a', 'uid-a', '103'));
    await informer.stop();
    expect(events).to.deep.equal(['update a 103']);
  });

  it('does not step back over an answer for an older watch event, the echo of an earlier write', async function () {
    const { informer, events, send } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '110'));
    await send('MODIFIED', object('a', 'uid-a', '108'));
    await informer.stop();
    expect(resourceVersionOf(informer, 'a')).to.equal('110');
    expect(events).to.deep.equal([]);
  });

  it('takes no answer the informer has seen past: a newer change stays, a deleted object stays gone', async function () {
    const { informer, send } = await syncedWith([object('a', 'uid-a', '50')]);
    await send('MODIFIED', object('a', 'uid-a', '105'));
    informer.assume(object('a', 'uid-a', '104'));
    await send('ADDED', object('b', 'uid-b', '106'));
    await send('DELETED', object('b', 'uid-b', '107'));
    informer.assume(object('b', 'uid-b', '106'));
    // Created and deleted before a list at 100 that missed it: the answer comes after the list.
    informer.assume(object('c', 'uid-c', '99'));
    await informer.stop();
    expect(resourceVersionOf(informer, 'a')).to.equal('105');
    expect(informer.get('b', 'ns')).to.equal(undefined);
    expect(informer.get('c', 'ns')).to.equal(undefined);
  });

  it('keeps through a relist an answer written after the list, and drops one the list shows deleted', async function () {
    const { informer, events, relist } = await syncedWith([]);
    informer.assume(object('new', 'uid-new', '120'));
    informer.assume(object('gone', 'uid-gone', '110'));
    await relist([], '115');
    await informer.stop();
    expect(informer.get('new', 'ns')?.metadata.resourceVersion).to.equal('120');
    expect(informer.get('gone', 'ns')).to.equal(undefined);
    expect(events).to.deep.equal(['delete gone 110']);
  });

  it('caches nothing for an informer with a selector: the answer may lie outside what it holds', async function () {
    const { informer } = await syncedWith([], { labelSelector: 'app=x' });
    informer.assume(object('a', 'uid-a', '200'));
    await informer.stop();
    expect(informer.list()).to.deep.equal([]);
  });
});
