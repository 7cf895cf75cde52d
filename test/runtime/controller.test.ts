// Which informer events enqueue which keys: the controller's wiring, on fake informers (no API
// call is involved, and the real ones cannot be made to resync on demand).
import { expect } from 'chai';
import type { KubeObject, Resource } from '../../src/runtime/client.ts';
import { Controller, controller } from '../../src/runtime/controller.ts';
import type { Informer, InformerEvent } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { noteAnswer } from '../../src/runtime/writer.ts';
import { Metrics } from '../../src/runtime/metrics.ts';

const resource = (kind: string): Resource => ({ group: 'example.com', version: 'v1', kind, resource: `${kind.toLowerCase()}s`, namespaced: true });
const [widgets, gadgets, parts] = [resource('Widget'), resource('Gadget'), resource('Part')];

/** An informer that only delivers what the test emits. */
function fakeInformer() {
  const handlers: ((event: InformerEvent<KubeObject>) => void)[] = [];
  const informer = { onEvent: (handler: (event: InformerEvent<KubeObject>) => void) => handlers.push(handler), get: () => undefined, getByUid: () => undefined };
  const emit = (event: InformerEvent<KubeObject>) => handlers.forEach((handler) => handler(event));
  return { informer: informer as unknown as Informer, emit };
}

describe('Controller wiring', function () {
  const informers = new Map([[widgets, fakeInformer()], [gadgets, fakeInformer()], [parts, fakeInformer()]]);
  const emit = (kind: Resource, event: InformerEvent<KubeObject>) => informers.get(kind)!.emit(event);
  const object = (name: string, ownerName?: string): KubeObject => ({
    apiVersion: 'example.com/v1', kind: 'Any',
    metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1', ...(ownerName ? { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: ownerName, uid: 'w', controller: true }] } : {}) },
  });
  const build = () => new Controller(
    controller('widgets').for(widgets).owns(gadgets).watches(parts, (part) => [{ namespace: 'ns', name: `for-${part.metadata.name}` }]).reconcile(() => Promise.resolve()),
    { informer: (kind) => informers.get(kind)!.informer, logger: createLogger('error'), metrics: new Metrics() },
  );

  it('enqueues the primary object, the owner of an owned one and the mapped requests of a watched one', function () {
    const { queue } = build();
    emit(widgets, { type: 'add', object: object('w1') });
    emit(gadgets, { type: 'update', object: object('g1', 'w2'), old: object('g1', 'w2') });
    emit(parts, { type: 'delete', object: object('p1') });
    expect(queue.length).to.equal(3);
  });

  it('enqueues the former owner of an owned object whose ownerReference an edit removed', function () {
    const { queue } = build();
    emit(gadgets, { type: 'update', object: object('g1'), old: object('g1', 'w3') });
    expect(queue.length).to.equal(1);
  });

  it('is not started again by the answer to its own write, and hears another reconcile\'s write from it', function () {
    const { queue } = build();
    const ownWrite = { controller: 'widgets', request: 'ns/w2' };
    emit(widgets, { type: 'update', object: object('w2'), old: object('w2'), writtenBy: ownWrite });
    emit(gadgets, { type: 'add', object: object('g1', 'w2'), writtenBy: ownWrite });
    emit(parts, { type: 'add', object: object('p1'), writtenBy: { controller: 'widgets', request: 'ns/for-p1' } });
    expect(queue.length).to.equal(0);
    // Another reconcile of this controller (the owner differs), and another controller's reconcile of the same key.
    emit(gadgets, { type: 'add', object: object('g2', 'w3'), writtenBy: ownWrite });
    emit(widgets, { type: 'update', object: object('w2'), old: object('w2'), writtenBy: { controller: 'gadgets', request: 'ns/w2' } });
    expect(queue.length).to.equal(2);
  });

  it('re-reconciles primary objects on a resync, and leaves owned and watched resyncs out', function () {
    const { queue } = build();
    emit(gadgets, { type: 'resync', object: object('g1', 'w2') });
    emit(parts, { type: 'resync', object: object('p1') });
    expect(queue.length).to.equal(0);
    emit(widgets, { type: 'resync', object: object('w1') });
    expect(queue.length).to.equal(1);
  });
});

describe('Controller, an event while its key is reconciled', function () {
  const objectAt = (name: string, resourceVersion: string, ownerName?: string): KubeObject => ({
    metadata: { name, namespace: 'ns', uid: name, resourceVersion, ...(ownerName ? { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: ownerName, uid: 'w', controller: true }] } : {}) },
  });
  type Emit = (kind: Resource, event: InformerEvent<KubeObject>) => void;
  const later = (microtasks: number, run: () => void): void => queueMicrotask(microtasks === 0 ? run : () => later(microtasks - 1, run));

  /**
   * Reconciles each of `keys` once, with `during` run in w1's first reconcile and `after` the given
   * number of microtasks after it returns; then how often each key was reconciled, once the queue
   * has nothing left to do.
   */
  async function reconcilesOf(during: (emit: Emit) => void, after = { microtasks: 0, run: (_: Emit) => {} }, keys = ['w1']): Promise<Record<string, number>> {
    const fakes = new Map([[widgets, fakeInformer()], [gadgets, fakeInformer()], [parts, fakeInformer()]]);
    const emit: Emit = (kind, event) => fakes.get(kind)!.emit(event);
    const counts: Record<string, number> = {};
    let running = 0;
    const reconcile = async ({ name }: { name: string }) => {
      running++;
      counts[name] = (counts[name] ?? 0) + 1;
      if (name === 'w1' && counts[name] === 1) during(emit);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (name === 'w1' && counts[name] === 1) later(after.microtasks, () => after.run(emit));
    };
    const informer = (kind: Resource) => (kind === widgets ? { ...fakes.get(kind)!.informer, list: () => [] } as unknown as Informer : fakes.get(kind)!.informer);
    const built = new Controller(
      controller('widgets').for(widgets).owns(gadgets).watches(parts, () => keys.map((name) => ({ namespace: 'ns', name }))).reconcile(reconcile),
      { informer, logger: createLogger('error'), metrics: new Metrics() },
    );
    for (const name of keys) emit(widgets, { type: 'add', object: objectAt(name, '1') });
    const worked = built.run();
    // A timer runs after every microtask: the queue's hand-offs included.
    do await new Promise((resolve) => setTimeout(resolve, 1)); while (running > 0 || built.queue.length > 0 || Object.keys(counts).length < keys.length);
    await built.queue.shutDownWithDrain();
    await worked;
    return counts;
  }

  it('does not start it again for the echo of its own write, heard before the answer', async function () {
    expect(await reconcilesOf((emit) => {
      emit(gadgets, { type: 'add', object: objectAt('g1', '5', 'w1') });
      noteAnswer(objectAt('g1', '5', 'w1'));
    })).to.deep.equal({ w1: 1 });
  });

  it('starts it again for any other version, and for a deletion even of the version written', async function () {
    expect(await reconcilesOf((emit) => {
      emit(gadgets, { type: 'add', object: objectAt('g1', '5', 'w1') });
      emit(gadgets, { type: 'update', object: objectAt('g1', '6', 'w1'), old: objectAt('g1', '5', 'w1') });
      noteAnswer(objectAt('g1', '5', 'w1'));
    })).to.deep.equal({ w1: 2 });
    expect(await reconcilesOf((emit) => emit(gadgets, { type: 'add', object: objectAt('g2', '7', 'w1') }))).to.deep.equal({ w1: 2 });
    expect(await reconcilesOf((emit) => {
      emit(gadgets, { type: 'delete', object: objectAt('g1', '5', 'w1') });
      noteAnswer(objectAt('g1', '5', 'w1'));
    })).to.deep.equal({ w1: 2 });
  });

  it('starts it again for an event that comes after the reconcile returned, however soon before its key is done', async function () {
    for (let microtasks = 0; microtasks <= 12; microtasks++) {
      const run = (emit: Emit) => emit(gadgets, { type: 'add', object: objectAt('g1', '5', 'w1') });
      expect(await reconcilesOf(() => {}, { microtasks, run }), `${microtasks} microtasks after`).to.deep.equal({ w1: 2 });
    }
  });

  it('holds the echo for the key that wrote it alone, when a watch maps it to several', async function () {
    expect(await reconcilesOf((emit) => {
      emit(parts, { type: 'add', object: objectAt('p1', '5') });
      noteAnswer(objectAt('p1', '5'));
    }, undefined, ['w1', 'w2'])).to.deep.equal({ w1: 1, w2: 2 });
  });
});

describe('Controller first pass', function () {
  it('is done once every object cached when the workers started has been reconciled once, failures included', async function () {
    const cached = ['a', 'b', 'c'].map((name): KubeObject => ({ metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1' } }));
    const { informer, emit } = fakeInformer();
    const primary = { ...informer, list: () => cached } as unknown as Informer;
    const release: (() => void)[] = [];
    const seen = new Set<string>();
    // The first reconcile of each waits for the test; b's fails (and its retries pass at once).
    const reconcile = ({ name }: { name: string }) => (seen.has(name) ? Promise.resolve() : new Promise<void>((resolve, reject) => {
      seen.add(name);
      release.push(name === 'b' ? () => reject(new Error('refused')) : resolve);
    }));
    const built = new Controller(controller('widgets').for(widgets).concurrency(3).reconcile(reconcile),
      { informer: () => primary, logger: createLogger('error'), metrics: new Metrics() });
    cached.forEach((object) => emit({ type: 'add', object }));
    const running = built.run();
    const passes: boolean[] = [built.firstPassDone];
    while (release.length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
    for (const done of release.splice(0, 2)) done();
    await new Promise((resolve) => setTimeout(resolve, 5));
    passes.push(built.firstPassDone);
    release.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    passes.push(built.firstPassDone);
    await built.queue.shutDownWithDrain();
    await running;
    expect(passes).to.deep.equal([false, false, true]);
  });
});
