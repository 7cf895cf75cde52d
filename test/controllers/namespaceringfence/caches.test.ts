import { expect } from 'chai';
import { bindingOf, OTHER_BINDINGS, type Grant } from '../../../src/controllers/namespaceringfence/caches.ts';

describe('the other RoleBindings as the ringfence controller caches them', function () {
  it('keeps the identity and whom the binding binds to what, and gives decide the binding back', function () {
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
      metadata: { name: 'backdoor', namespace: 'team', uid: 'u', resourceVersion: '7', labels: { app: 'x' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'other' }],
    };
    const cached = OTHER_BINDINGS.digest!.keep(binding) as Grant;
    expect(cached.metadata).to.deep.equal({ name: 'backdoor', namespace: 'team', uid: 'u', resourceVersion: '7' });
    expect(bindingOf(cached)).to.deep.equal({
      metadata: { name: 'backdoor' }, roleRef: { kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'User', name: 'mallory' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'other' }],
    });
  });
});
