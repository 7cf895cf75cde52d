// The audit-log reading behind the least-privilege check: which request needs which grant.
import { expect } from 'chai';
import type { AuditEvent } from '../../harness/control-plane/control-plane.ts';
import { forbiddenRequests, needs, operatorGrants, redundantGrants, unneededGrants, type Grant } from './least-privilege.ts';

const allowed = (verb: string, objectRef: AuditEvent['objectRef'], extra: Partial<AuditEvent> = {}): AuditEvent => ({
  auditID: 'a', stage: 'ResponseComplete', verb, requestURI: '/apis/x', user: { username: 'u' }, objectRef,
  responseStatus: { code: 200 }, annotations: { 'authorization.k8s.io/decision': 'allow' }, ...extra,
});
const rolebindings = { apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace: 'payments', name: 'ringfence-admins' };

describe('least privilege from the audit log', function () {
  it('expands config/rbac into the grants bound to the operator, one per verb, resource and name', function () {
    const grants = operatorGrants();
    expect(grants).to.deep.include({ namespace: undefined, apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'bind', resourceName: 'edit' });
    expect(grants).to.deep.include({ namespace: 'palisade-system', apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'update' });
    expect(grants).to.deep.include({ apiGroup: '', resource: '', verb: 'get', nonResourceURL: '/metrics' });
    // The optional role is counted only when asked for.
    const legacy = { namespace: undefined, apiGroup: '', resource: 'secrets', verb: 'list' };
    expect(grants).to.not.deep.include(legacy);
    expect(operatorGrants({ optional: true })).to.deep.include(legacy);
    // The user-facing aggregated roles in config/rbac are not the operator's.
    expect(grants.filter((grant) => grant.verb === 'create' && grant.resource === 'namespaceringfences')).to.deep.equal([]);
  });

  it('finds in config/rbac no grant another one already gives', function () {
    expect(redundantGrants(operatorGrants())).to.deep.equal([]);
    const secrets: Grant = { apiGroup: '', resource: 'secrets', verb: 'get' };
    expect(redundantGrants([secrets, { ...secrets, namespace: 'palisade-system' }, { ...secrets, verb: 'list', namespace: 'palisade-keys' }]))
      .to.deep.equal(['get core/secrets in palisade-system']);
    expect(redundantGrants([secrets, { ...secrets }])).to.deep.equal(['get core/secrets']);
  });

  it('counts a server-side apply as create only when it created the object', function () {
    const create: Grant = { apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create' };
    expect(needs(allowed('patch', rolebindings, { responseStatus: { code: 201 } }), create)).to.equal(true);
    expect(needs(allowed('patch', rolebindings), create)).to.equal(false);
    expect(needs(allowed('patch', rolebindings), { ...create, verb: 'patch' })).to.equal(true);
  });

  it('reads bind from the ClusterRole of the RoleBinding written', function () {
    const bind = (name: string): Grant => ({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'bind', resourceName: name });
    const wrote = allowed('patch', rolebindings, { responseObject: { roleRef: { kind: 'ClusterRole', name: 'admin' } } });
    expect(needs(wrote, bind('admin'))).to.equal(true);
    expect(needs(wrote, bind('view'))).to.equal(false);
    expect(needs({ ...wrote, responseStatus: { code: 403 } }, bind('admin'))).to.equal(false);
  });

  it('matches namespaces, subresources, names and URLs, and only allowed requests', function () {
    const status = { apiGroup: 'palisade.dev', resource: 'namespaceringfences', subresource: 'status', namespace: 'payments', name: 'ringfence' };
    expect(needs(allowed('patch', status), { apiGroup: 'palisade.dev', resource: 'namespaceringfences/status', verb: 'patch' })).to.equal(true);
    expect(needs(allowed('patch', status), { apiGroup: 'palisade.dev', resource: 'namespaceringfences', verb: 'patch' })).to.equal(false);
    const lease = { apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'palisade-system', name: 'palisade' };
    expect(needs(allowed('get', lease), { namespace: 'palisade-system', apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'get' })).to.equal(true);
    expect(needs(allowed('get', lease), { namespace: 'default', apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'get' })).to.equal(false);
    const endpoints = { apiGroup: '', resource: 'endpoints', namespace: 'default', name: 'other' };
    expect(needs(allowed('get', endpoints), { apiGroup: '', resource: 'endpoints', verb: 'get', resourceName: 'kubernetes' })).to.equal(false);
    const metrics = allowed('get', undefined, { requestURI: '/metrics?x=1' });
    expect(needs(metrics, { apiGroup: '', resource: '', verb: 'get', nonResourceURL: '/metrics' })).to.equal(true);
    const refused = allowed('get', lease, { annotations: { 'authorization.k8s.io/decision': 'forbid' }, requestURI: '/apis/coordination.k8s.io/v1/namespaces/palisade-system/leases/palisade' });
    expect(needs(refused, { namespace: 'palisade-system', apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'get' })).to.equal(false);
    const escalation = allowed('patch', rolebindings, { responseStatus: { code: 403 }, requestURI: '/apis/rbac.authorization.k8s.io/v1/namespaces/payments/rolebindings/ringfence-admins' });
    expect(forbiddenRequests([refused, metrics, escalation])).to.deep.equal([
      'get /apis/coordination.k8s.io/v1/namespaces/palisade-system/leases/palisade',
      'patch /apis/rbac.authorization.k8s.io/v1/namespaces/payments/rolebindings/ringfence-admins',
    ]);
  });

  it('names the grants no request needed', function () {
    const grants: Grant[] = [{ apiGroup: '', resource: 'secrets', verb: 'list' }, { namespace: 'palisade-keys', apiGroup: 'batch', resource: 'jobs', verb: 'create' }];
    expect(unneededGrants(grants, [allowed('list', { apiGroup: '', resource: 'secrets' })])).to.deep.equal(['create batch/jobs in palisade-keys']);
  });
});
