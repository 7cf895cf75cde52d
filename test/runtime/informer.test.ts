// The informer's list logic on a small fake API (the real one cannot be made to expire a
// continue token on demand, hold a watch event back, nor fail on cue with a given error): pages, a
// restart when the token expires mid-list, the diff, a write's answer cached ahead of its watch
// event, the backoff, and how failures are told.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { ApiError, type KubeClient, type KubeObject, type ObjectList, type Resource, type WatchEvent } from '../../src/runtime/client.ts';
import { Informer, type InformerObserver } from '../../src/runtime/informer.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';

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
  let skip: ((line: string) => boolean) | undefined;
  let closeWatch: (() => void) | undefined;
  const skipped: string[] = [];
  const watchedFrom: unknown[] = [];
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
    watch: (_r: Resource, query: { resourceVersion?: string }, signal: AbortSignal, onEvent: (event: WatchEvent) => void, _view: unknown,
      skipLine: (line: string) => boolean) => new Promise<void>((resolve, reject) => {
      watchedFrom.push(query.resourceVersion);
      signal.addEventListener('abort', () => resolve());
      closeWatch = resolve;
      endWatch = reject;
      deliver = onEvent;
      skip = skipLine;
    }),
  };
  const gone = () => endWatch?.(new ApiError(410, 'Expired', 'too old resource version'));
  /** Delivers an event as KubeClient.watch does: its line, as the API server writes it, offered to `skip` first. */
  const send = async (type: WatchEvent['type'], object: KubeObject) => {
    while (!deliver) await new Promise((resolve) => setTimeout(resolve, 1));
    const line = JSON.stringify({ type, object });
    if (skip?.(line)) skipped.push(`${type} ${object.metadata.name} ${object.metadata.resourceVersion}`);
    else deliver({ type, object });
  };
  /** Ends the watch as the server does at its timeout. */
  const close = () => closeWatch?.();
  return { client: api as unknown as KubeClient, calls, gone, send, skipped, close, watchedFrom };
}

async function synced(informer: Informer): Promise<void> {
  informer.start();
  while (!informer.hasSynced) await new Promise((resolve) => setTimeout(resolve, 1));
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};
// What undici throws while no apiserver listens, and what apiservers answer just after a restart.
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
const forbidden = () => new ApiError(403, 'Forbidden', 'configmaps is forbidden: User "palisade" cannot watch resource "configmaps"');
const expired = () => new ApiError(410, 'Expired', 'too old resource version: 100 (200)');
const notServed = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

/** What the nth call (from 0) of a verb does: fail with an error, succeed, or, for a watch, end at once without one. */
type Outcome = Error | 'ok' | 'end';

/**
 * Lists and watches as `list(n)` and `watch(n)` say. A list that succeeds is empty, at resourceVersion
 * 100; a watch that succeeds stays open until stopped or `fail` ends it, and `send` delivers an
 * event on it. `calls` says when each call came.
 */
function scriptedApi(script: { list?: (n: number) => Outcome; watch?: (n: number) => Outcome }) {
  const calls: { verb: 'list' | 'watch'; at: number }[] = [];
  let deliver: ((event: WatchEvent) => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const outcome = (verb: 'list' | 'watch') => {
    const n = calls.filter((call) => call.verb === verb).length;
    calls.push({ verb, at: performance.now() });
    return script[verb]?.(n) ?? 'ok';
  };
  const api = {
    list(): Promise<ObjectList> {
      const result = outcome('list');
      return result instanceof Error ? Promise.reject(result) : Promise.resolve({ metadata: { resourceVersion: '100' }, items: [] });
    },
    watch(_r: Resource, _q: unknown, signal: AbortSignal, onEvent: (event: WatchEvent) => void): Promise<void> {
      const result = outcome('watch');
      if (result instanceof Error) return Promise.reject(result);
      if (result === 'end') return Promise.resolve();
      deliver = onEvent;
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => resolve());
        fail = reject;
      });
    },
  };
  const send = async (type: WatchEvent['type'], object: KubeObject) => {
    await until(() => deliver !== undefined);
    deliver?.({ type, object });
  };
  const count = (verb: 'list' | 'watch') => calls.filter((call) => call.verb === verb).length;
  return { client: api as unknown as KubeClient, calls, count, send, fail: (error: Error) => fail?.(error) };
}

/** An observer that writes down each failure's delay, and what it is told of runs of failures. */
function recordingObserver() {
  const told: string[] = [];
  const delays: number[] = [];
  const observer: InformerObserver = {
    failed: (_error, delayMs) => {
      told.push('failed');
      delays.push(delayMs);
    },
    failing: (_error, forMs) => told.push(`failing ${forMs >= 150 ? 'after 150 ms' : `after only ${forMs} ms`}`),
    recovered: () => told.push('recovered'),
  };
  return { observer, told, delays };
}

describe('Informer lists', function () {
  /** How many calls of `verb` an informer makes on `api` in half a second. */
  async function callsInHalfASecond(api: ReturnType<typeof scriptedApi>, verb: 'list' | 'watch'): Promise<number> {
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 50, maxMs: 1000 } });
    informer.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await informer.stop();
    return api.count(verb);
  }

  it('backs off a watch that the server ends at once, instead of reconnecting in a loop', async function () {
    // 50, 100, 200 ms (with jitter down to half): at most a handful in half a second.
    expect(await callsInHalfASecond(scriptedApi({ watch: () => 'end' }), 'watch')).to.be.within(2, 8);
  });

  it('backs off a server that answers 410 Gone to a watch from the list it just gave, instead of relisting in a loop', async function () {
    expect(await callsInHalfASecond(scriptedApi({ watch: () => expired() }), 'list')).to.be.within(2, 8);
  });

  it('relists at once on a 410 Gone after an outage, however long the backoff has grown', async function () {
    // Five watches refused (the backoff grows to 320-640 ms), then the apiserver is back with a newer cache.
    const api = scriptedApi({ watch: (n) => (n < 5 ? refused() : n === 5 ? expired() : 'ok') });
    const { observer, delays } = recordingObserver();
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 40, maxMs: 10_000 }, observer });
    informer.start();
    await until(() => api.count('list') === 2);
    await informer.stop();
    const gone = api.calls.filter((call) => call.verb === 'watch')[5]!;
    const relist = api.calls.filter((call) => call.verb === 'list')[1]!;
    expect(delays.at(-1), 'the backoff before the 410').to.be.at.least(320);
    expect(relist.at - gone.at).to.be.below(100);
    expect(delays, 'the 410 is no failure').to.have.length(5);
  });

  it('starts the backoff over once a list succeeds, so a failure right after an outage is retried soon', async function () {
    // Five lists refused, then one succeeds, and the watch from it is forbidden once (RBAC's cache still cold).
    const api = scriptedApi({ list: (n) => (n < 5 ? refused() : 'ok'), watch: (n) => (n === 0 ? forbidden() : 'ok') });
    const { observer, delays } = recordingObserver();
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 40, maxMs: 10_000 }, observer });
    informer.start();
    await until(() => api.count('watch') === 2);
    await informer.stop();
    expect(delays).to.have.length(6);
    expect(delays[4], 'the backoff the outage built up').to.be.at.least(320);
    expect(delays[5], 'after the list').to.be.at.most(40);
  });

  it('starts the backoff over once a watch delivers, however it ends', async function () {
    // Five watches refused, then one resumes and delivers, until the connection breaks.
    const api = scriptedApi({ watch: (n) => (n < 5 ? refused() : 'ok') });
    const { observer, delays } = recordingObserver();
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 40, maxMs: 10_000 }, observer });
    informer.start();
    await api.send('ADDED', object('a'));
    api.fail(new Error('other side closed'));
    await until(() => delays.length === 6);
    await informer.stop();
    expect(delays[4], 'the backoff the outage built up').to.be.at.least(320);
    expect(delays[5], 'after the watch delivered').to.be.at.most(40);
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
  const WRITER = { controller: 'test', request: 'ns/writer' };
  async function syncedWith(items: KubeObject[], options: { labelSelector?: string; metadataOnly?: boolean } = {}) {
    let listed = items;
    let listResourceVersion = '100';
    let relists = 0;
    const { client, send, gone, skipped, close, watchedFrom } = fakeApi(() => listed, false, () => listResourceVersion);
    const informer = new Informer(client, { resource, ...options, observer: { relisted: () => relists++ } });
    await synced(informer);
    const events: string[] = [];
    informer.onEvent((event) => events.push(`${event.type} ${event.object.metadata.name} ${event.object.metadata.resourceVersion}`
      + (event.type !== 'delete' && event.type !== 'resync' && event.writtenBy ? ` by ${event.writtenBy.request}` : '')));
    /** Ends the watch with 410 Gone and waits for the list that follows: `items` at `resourceVersion`. */
    const relist = async (items: KubeObject[], resourceVersion: string) => {
      [listed, listResourceVersion] = [items, resourceVersion];
      const before = relists;
      gone();
      while (relists === before) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    return { informer, events, send, relist, skipped, close, watchedFrom };
  }
  const resourceVersionOf = (informer: Informer, name: string) => informer.get(name, 'ns')?.metadata.resourceVersion;

  it('caches a write\'s answer ahead of its watch event, telling handlers who wrote it; that event is then no change', async function () {
    const { informer, events, send, skipped } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '101'), WRITER);
    informer.assume(object('b', 'uid-b', '102'), WRITER);
    expect([resourceVersionOf(informer, 'a'), resourceVersionOf(informer, 'b')]).to.deep.equal(['101', '102']);
    await send('MODIFIED', object('a', 'uid-a', '101'));
    await send('ADDED', object('b', 'uid-b', '102'));
    await send('MODIFIED', object('a', 'uid-a', '103'));
    await informer.stop();
    expect(events).to.deep.equal(['update a 101 by ns/writer', 'add b 102 by ns/writer', 'update a 103']);
    // The two echoes were not even parsed: their lines showed the cache holds them.
    expect(skipped).to.deep.equal(['MODIFIED a 101', 'ADDED b 102']);
  });

  it('watches on from an echo it did not parse: its resourceVersion is where the next watch starts', async function () {
    const { informer, send, skipped, close, watchedFrom } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '101'), WRITER);
    await send('MODIFIED', object('a', 'uid-a', '101'));
    close();
    await until(() => watchedFrom.length === 2);
    await informer.stop();
    expect(skipped).to.deep.equal(['MODIFIED a 101']);
    expect(watchedFrom).to.deep.equal(['100', '101']);
  });

  it('parses every deletion, and a change of an object it holds at an older resourceVersion or not at all', async function () {
    const { informer, events, send, skipped } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '101'), WRITER);
    await send('DELETED', object('a', 'uid-a', '102'));
    await send('ADDED', object('a', 'uid-new', '103'));
    await send('MODIFIED', object('a', 'uid-new', '104'));
    await informer.stop();
    expect(skipped).to.deep.equal([]);
    expect(events).to.deep.equal(['update a 101 by ns/writer', 'delete a 101', 'add a 103', 'update a 104']);
  });

  it('does not step back over an answer for an older watch event, the echo of an earlier write', async function () {
    const { informer, events, send } = await syncedWith([object('a', 'uid-a', '50')]);
    informer.assume(object('a', 'uid-a', '110'), WRITER);
    await send('MODIFIED', object('a', 'uid-a', '108'));
    await informer.stop();
    expect(resourceVersionOf(informer, 'a')).to.equal('110');
    expect(events).to.deep.equal(['update a 110 by ns/writer']);
  });

  it('takes no answer the informer has seen past: a newer change stays, a deleted object stays gone', async function () {
    const { informer, send } = await syncedWith([object('a', 'uid-a', '50')]);
    await send('MODIFIED', object('a', 'uid-a', '105'));
    informer.assume(object('a', 'uid-a', '104'), WRITER);
    await send('ADDED', object('b', 'uid-b', '106'));
    await send('DELETED', object('b', 'uid-b', '107'));
    informer.assume(object('b', 'uid-b', '106'), WRITER);
    // Created and deleted before a list at 100 that missed it: the answer comes after the list.
    informer.assume(object('c', 'uid-c', '99'), WRITER);
    await informer.stop();
    expect(resourceVersionOf(informer, 'a')).to.equal('105');
    expect(informer.get('b', 'ns')).to.equal(undefined);
    expect(informer.get('c', 'ns')).to.equal(undefined);
  });

  it('keeps through a relist an answer written after the list, and drops one the list shows deleted', async function () {
    const { informer, events, relist } = await syncedWith([]);
    informer.assume(object('new', 'uid-new', '120'), WRITER);
    informer.assume(object('gone', 'uid-gone', '110'), WRITER);
    await relist([], '115');
    await informer.stop();
    expect(informer.get('new', 'ns')?.metadata.resourceVersion).to.equal('120');
    expect(informer.get('gone', 'ns')).to.equal(undefined);
    expect(events).to.deep.equal(['add new 120 by ns/writer', 'add gone 110 by ns/writer', 'delete gone 110']);
  });

  it('takes only answers its label selector lets through: the watch would show it no other', async function () {
    const { informer } = await syncedWith([], { labelSelector: 'app=x,tier!=db' });
    const labelled = (name: string, labels: Record<string, string>): KubeObject => ({ metadata: { ...object(name, `uid-${name}`, '200').metadata, labels } });
    informer.assume(object('bare', 'uid-bare', '200'), WRITER);
    informer.assume(labelled('db', { app: 'x', tier: 'db' }), WRITER);
    informer.assume(labelled('web', { app: 'x', tier: 'web' }), WRITER);
    await informer.stop();
    expect(informer.list().map((o) => o.metadata.name)).to.deep.equal(['web']);
  });

  it('keeps only the metadata of an answer when it caches metadata alone, as its watch would send', async function () {
    const { informer } = await syncedWith([], { metadataOnly: true });
    informer.assume({ ...object('a', 'uid-a', '200'), data: { secret: 'x' } } as KubeObject, WRITER);
    await informer.stop();
    expect(informer.get('a', 'ns')).to.deep.equal({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: object('a', 'uid-a', '200').metadata });
  });
});

describe('Informer indexes', function () {
  const team = (name: string, teams: string[], resourceVersion = '1'): KubeObject =>
    ({ metadata: { ...object(name, `uid-${name}`, resourceVersion).metadata, labels: Object.fromEntries(teams.map((t) => [`team-${t}`, ''])) } });
  const teamsOf = (o: KubeObject) => Object.keys(o.metadata.labels ?? {}).map((key) => key.slice('team-'.length));

  it('finds objects by index key, following updates and deletes, and indexes what was cached before it', async function () {
    const { client, send } = fakeApi(() => [team('a', ['red']), team('b', ['red', 'blue'])]);
    const informer = new Informer(client, { resource });
    await synced(informer);
    informer.addIndex('team', teamsOf);
    const names = (key: string) => informer.byIndex('team', key).map((o) => o.metadata.name).sort();
    expect([names('red'), names('blue')]).to.deep.equal([['a', 'b'], ['b']]);
    await send('MODIFIED', team('a', ['blue'], '2'));
    await send('DELETED', team('b', ['red', 'blue'], '3'));
    await send('ADDED', team('c', ['green'], '4'));
    await informer.stop();
    expect([names('red'), names('blue'), names('green')]).to.deep.equal([[], ['a'], ['c']]);
  });
});

describe('Informer failures told', function () {
  it('tells each failure, and once that a run of them persists, and then that it ended', async function () {
    const began = performance.now();
    const api = scriptedApi({ watch: () => (performance.now() - began < 400 ? forbidden() : 'ok') });
    const { observer, told } = recordingObserver();
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 10, maxMs: 40 }, persistentFailureMs: 150, observer });
    informer.start();
    await api.send('ADDED', object('a'));
    await informer.stop();
    const failing = told.indexOf('failing after 150 ms');
    expect(told.filter((said) => said !== 'failed')).to.deep.equal(['failing after 150 ms', 'recovered']);
    expect(told.slice(failing + 1, -1), 'failures go on being told').to.include('failed');
    expect(told.at(-1)).to.equal('recovered');
  });

  it('tells nothing but each failure of a run that ends before it persists', async function () {
    const api = scriptedApi({ watch: (n) => (n < 2 ? forbidden() : 'ok') });
    const { observer, told } = recordingObserver();
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 10, maxMs: 40 }, persistentFailureMs: 150, observer });
    informer.start();
    await api.send('ADDED', object('a'));
    await informer.stop();
    expect(told).to.deep.equal(['failed', 'failed']);
  });

  it('tells its readers each failure with its error, a 404 among them (the resource no longer served)', async function () {
    const api = scriptedApi({ list: (n) => (n < 2 ? notServed() : 'ok') });
    const informer = new Informer(api.client, { resource, backoff: { initialMs: 10, maxMs: 40 } });
    const errors: unknown[] = [];
    informer.onFailure((error) => errors.push(error));
    await synced(informer);
    await informer.stop();
    expect(errors.map((error) => (error as ApiError).code)).to.deep.equal([404, 404]);
  });

  it('is released by the manager: stopped, no longer where answers go, and its silence no longer exported', async function () {
    const api = scriptedApi({});
    const metrics = new Metrics();
    const manager = new Manager({ client: api.client, logger: winston.createLogger({ silent: true }), metrics });
    const informer = manager.informer(resource);
    await synced(informer);
    expect(await metrics.registry.metrics()).to.include('palisade_informer_last_event_age_seconds{resource="configmaps."}');
    await manager.release(informer);
    expect(() => manager.cachesOf(resource, {})).to.throw('no cache of configmaps');
    expect(await metrics.registry.metrics()).to.not.include('palisade_informer_last_event_age_seconds{resource=');
    const calls = api.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.calls.length, 'no list or watch after').to.equal(calls);
    expect(manager.informer(resource), 'asked again: a new cache').to.not.equal(informer);
  });

  it('is logged by the manager at debug while it is a retry, and counted every time', async function () {
    const lines: { level: string; message: string }[] = [];
    const logger = winston.createLogger({
      level: 'debug', format: winston.format.json(),
      transports: [new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(JSON.parse(chunk.toString()) as { level: string; message: string });
            done();
          },
        }),
      })],
    });
    const metrics = new Metrics();
    const api = scriptedApi({ watch: (n) => (n < 2 ? forbidden() : 'ok') });
    const informer = new Manager({ client: api.client, logger, metrics }).informer(resource);
    informer.start();
    await api.send('ADDED', object('a'));
    await informer.stop();
    expect(lines.map(({ level, message }) => `${level} ${message}`)).to.deep.equal(Array(2).fill('debug list or watch failed, retrying'));
    expect(await metrics.registry.metrics()).to.include('palisade_informer_failures_total{resource="configmaps."} 2');
  });
});
