import { expect } from 'chai';
import { changeHead } from '../../src/runtime/watch-line.ts';

// Watch lines as kube-apiserver v1.37.2 wrote them here (test/e2e runs the same server), cut
// after labels; test/e2e/runtime/client.test.ts reads the same heads off a live watch.
const NETWORK_POLICY = '{"type":"ADDED","object":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"deny","namespace":"cap-0",'
  + '"uid":"a2a0f52a-f028-459c-b971-3ae53e6b5c27","resourceVersion":"241","generation":1,"creationTimestamp":"2026-12-03T17:44:26Z",'
  + '"labels":{"app.kubernetes.io/managed-by":"palisade"}},"spec":{"podSelector":{},"policyTypes":["Ingress"]}}}';
const NAMESPACE_METADATA = '{"type":"MODIFIED","object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"cap-0",'
  + '"uid":"b905ad8b-24bf-4049-b3d4-242fed923a10","resourceVersion":"222","creationTimestamp":"2026-12-03T17:44:52Z","labels":{"team":"x"}}}}';
const CUSTOM_RESOURCE = '{"type":"ADDED","object":{"apiVersion":"palisade.dev/v1alpha1","kind":"NamespaceRingfence","metadata":{"creationTimestamp":"2026-12-03T17:44:26Z",'
  + '"generation":1,"managedFields":[{"apiVersion":"palisade.dev/v1alpha1","fieldsV1":{"f:spec":{}},"manager":"palisade"}],"name":"fence","namespace":"cap-0",'
  + '"resourceVersion":"242","uid":"5b1c0c0e-8d1f-4a7e-9a51-1f0e6f3c2a10"},"spec":{}}}';

describe('changeHead', function () {
  it('reads the uid and resourceVersion of a built-in object and of its metadata alone', function () {
    expect(changeHead(NETWORK_POLICY)).to.deep.equal({ uid: 'a2a0f52a-f028-459c-b971-3ae53e6b5c27', resourceVersion: '241' });
    expect(changeHead(NAMESPACE_METADATA)).to.deep.equal({ uid: 'b905ad8b-24bf-4049-b3d4-242fed923a10', resourceVersion: '222' });
  });

  it('reads nothing of a deletion, a bookmark or an error: those are always parsed', function () {
    for (const type of ['DELETED', 'BOOKMARK', 'ERROR']) expect(changeHead(NETWORK_POLICY.replace('"ADDED"', `"${type}"`))).to.equal(undefined);
  });

  it('reads nothing where the fields come in another order: a custom resource\'s sorted keys, an ownerReference\'s uid', function () {
    expect(changeHead(CUSTOM_RESOURCE)).to.equal(undefined);
    const ownerFirst = '{"type":"ADDED","object":{"metadata":{"name":"a","ownerReferences":[{"uid":"owner","resourceVersion":"1"}],"uid":"u","resourceVersion":"2"}}}';
    expect(changeHead(ownerFirst)).to.equal(undefined);
  });
});
