// Which informer events enqueue which keys: the controller's wiring, on fake informers (no API
// call is involved, and the real ones cannot be made to resync on demand).
import { expect } from 'chai';
import type { KubeObject, Resource } from '../../src/runtime/client.ts';
import { Controller, controller } from '../../src/runtime/controller.ts';
import type { Informer, InformerEvent } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/logging.ts';
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

  it('re-reconciles primary objects on a resync, and leaves owned and watched resyncs out', function () {
    const { queue } = build();
    emit(gadgets, { type: 'resync', object: object('g1', 'w2') });
    emit(parts, { type: 'resync', object: object('p1') });
    expect(queue.length).to.equal(0);
    emit(widgets, { type: 'resync', object: object('w1') });
    expect(queue.length).to.equal(1);
  });
});
