import { expect } from 'chai';
import { needsApply } from '../../src/runtime/apply.ts';
import { identity, shapeForCache, shared } from '../../src/runtime/cache-shape.ts';
import type { KubeObject } from '../../src/runtime/client.ts';

/** A NetworkPolicy as the API server returns it after Palisade applied it, owned by `owner`. */
const policy = (namespace: string, owner: string) => JSON.parse(JSON.stringify({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
  metadata: {
    name: 'deny', namespace, uid: `uid-${namespace}`, resourceVersion: '7',
    labels: { 'app.kubernetes.io/managed-by': 'palisade' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}', note: 'kept' },
    ownerReferences: [{ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', name: 'fence', uid: owner, controller: true }],
    managedFields: [
      { manager: 'palisade', operation: 'Apply', apiVersion: 'networking.k8s.io/v1', time: '2026-12-01T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': {} }, 'f:ownerReferences': { [`k:{"uid":"${owner}"}`]: {} } },
        'f:spec': { 'f:podSelector': {}, 'f:policyTypes': {} },
      } },
      { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'networking.k8s.io/v1', time: '2026-12-01T12:01:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } },
    ],
  },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
})) as KubeObject & { spec: unknown };

describe('shapeForCache', function () {
  it('shares equal content between objects of different namespaces and owners, and keeps each identity', function () {
    const [a, b] = [shapeForCache(policy('a', 'owner-a')), shapeForCache(policy('b', 'owner-b'))];
    expect(a.spec).to.equal(b.spec);
    expect(a.metadata.labels).to.equal(b.metadata.labels);
    expect((a.metadata as { managedFields?: unknown }).managedFields).to.equal((b.metadata as { managedFields?: unknown }).managedFields);
    expect([a.metadata.namespace, a.metadata.uid, b.metadata.namespace, b.metadata.uid]).to.deep.equal(['a', 'uid-a', 'b', 'uid-b']);
  });

  it('keeps a namespace\'s labels as its own: they name it, so no other is equal to pool them with', function () {
    const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: name, resourceVersion: '1', labels: { team: 'x', 'kubernetes.io/metadata.name': name } } });
    const [a, b] = [namespace('a'), namespace('b')];
    const [shapedA, shapedB] = [shapeForCache(a), shapeForCache(b)];
    expect(shapedA.metadata.labels).to.equal(a.metadata.labels);
    expect(Object.isFrozen(shapedA.metadata.labels)).to.equal(false);
    expect(shapedB.metadata.labels).to.deep.equal({ team: 'x', 'kubernetes.io/metadata.name': 'b' });
  });

  it('keeps our Apply entry without its time, cut where a list begins, and drops other managers and kubectl\'s annotation', function () {
    const { metadata } = shapeForCache(policy('a', 'owner-a')) as unknown as { metadata: { managedFields: unknown; annotations: unknown } };
    expect(metadata.annotations).to.deep.equal({ note: 'kept' });
    expect(metadata.managedFields).to.deep.equal([{
      manager: 'palisade', operation: 'Apply', apiVersion: 'networking.k8s.io/v1', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': {} }, 'f:ownerReferences': {} }, 'f:spec': { 'f:podSelector': {}, 'f:policyTypes': {} } },
    }]);
  });

  it('judges an apply as the whole object does: the shape loses nothing needsApply reads', function () {
    const { ownerReferences } = policy('a', 'owner-a').metadata as { ownerReferences: unknown };
    const desired = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'a', labels: { 'app.kubernetes.io/managed-by': 'palisade' }, ownerReferences },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } };
    const droppedLabel = { ...desired, metadata: { name: 'deny', namespace: 'a', ownerReferences } };
    const changed = { ...desired, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    for (const wanted of [desired, droppedLabel, changed]) {
      expect(needsApply(wanted, shapeForCache(policy('a', 'owner-a')))).to.equal(needsApply(wanted, policy('a', 'owner-a')));
    }
    expect([desired, droppedLabel, changed].map((wanted) => needsApply(wanted, shapeForCache(policy('a', 'owner-a'))))).to.deep.equal([false, true, true]);
  });

  it('freezes what it shares: a reader writing to one object would write to all', function () {
    const shaped = shapeForCache(policy('a', 'owner-a')) as { spec: { policyTypes: string[] } };
    expect(() => shaped.spec.policyTypes.push('x')).to.throw(TypeError);
  });

  it('shares no status: it is its object\'s own', function () {
    const fence = (namespace: string) => JSON.parse(JSON.stringify({ metadata: { name: 'f', namespace, uid: namespace, resourceVersion: '1' }, spec: { a: 1 }, status: { conditions: [{ type: 'Ready' }] } })) as KubeObject & { spec: object; status: object };
    const [a, b] = [shapeForCache(fence('a')), shapeForCache(fence('b'))];
    expect(a.spec).to.equal(b.spec);
    expect(a.status).to.deep.equal(b.status);
    expect(a.status).to.not.equal(b.status);
  });

  it('shares values by content, long or short', function () {
    const long = { text: 'x'.repeat(200) };
    expect(shared({ text: 'x'.repeat(200) })).to.equal(shared(long));
    expect(shared({ a: 1 })).to.equal(shared({ a: 1 }));
    expect(shared({ a: 1 })).to.not.equal(shared({ a: 2 }));
  });
});

describe('identity', function () {
  it('keeps what an informer needs of an object and nothing else', function () {
    const metadata = { name: 'b', namespace: 'team', uid: 'u', resourceVersion: '1', labels: { app: 'x' }, creationTimestamp: '2026-12-01T00:00:00Z' };
    expect(identity({ metadata })).to.deep.equal({ name: 'b', namespace: 'team', uid: 'u', resourceVersion: '1' });
  });
});
