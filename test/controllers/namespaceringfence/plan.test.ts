import { expect } from 'chai';
import { plan, type Observed, type ObservedRingfence } from '../../../src/controllers/namespaceringfence/plan.ts';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';

const fence = (name: string, spec: NamespaceRingfenceSpec, created = '2026-01-01T00:00:00Z'): ObservedRingfence => ({
  metadata: { name, namespace: 'team', uid: `uid-${name}`, generation: 2, creationTimestamp: created }, spec,
});
const observed = (overrides: Partial<Observed> = {}): Observed => ({
  ringfences: [], namespaceExists: () => true, ownedNetworkPolicies: [], ownedRoleBindings: [], foreignBindings: [], ...overrides,
});
const named = (...names: string[]) => names.map((name) => ({ metadata: { name } }));
const condition = (status: { conditions?: { type: string; message: string }[] }, type: string) => status.conditions?.find((c) => c.type === type);

describe('NamespaceRingfence plan', function () {
  it('applies the rendered objects and deletes what it generated before but no longer wants', function () {
    const ringfence = fence('fence', { access: { editors: [{ kind: 'Group', name: 'devs' }] } });
    const decided = plan(ringfence, observed({
      ringfences: [ringfence],
      ownedNetworkPolicies: named('palisade-default-deny', 'palisade-egress'),
      ownedRoleBindings: named('palisade-editors', 'palisade-viewers'),
    }));
    expect(decided.apply.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([
      'NetworkPolicy/palisade-default-deny', 'NetworkPolicy/palisade-same-namespace', 'NetworkPolicy/palisade-dns', 'RoleBinding/palisade-editors',
    ]);
    expect(decided.delete).to.deep.equal([{ kind: 'NetworkPolicy', name: 'palisade-egress' }, { kind: 'RoleBinding', name: 'palisade-viewers' }]);
    expect(decided.status).to.include({ observedGeneration: 2, policyCount: 3, bindingCount: 1 });
    expect(condition(decided.status, 'Ready')).to.include({ status: 'True', reason: 'Applied', observedGeneration: 2 });
  });

  it('lets the oldest ringfence of a namespace win; a newer one reports Conflict, applies nothing and keeps nothing', function () {
    const older = fence('older', {}, '2026-01-01T00:00:00Z');
    const newer = fence('newer', {}, '2026-02-01T00:00:00Z');
    const decided = plan(newer, observed({ ringfences: [newer, older], ownedNetworkPolicies: named('palisade-dns') }));
    expect(decided.apply).to.deep.equal([]);
    expect(decided.delete).to.deep.equal([{ kind: 'NetworkPolicy', name: 'palisade-dns' }]);
    expect(condition(decided.status, 'Ready')).to.include({ status: 'False', reason: 'Conflict' });
    expect(decided.warning?.note).to.include('already fenced by NamespaceRingfence older');
    expect(plan(older, observed({ ringfences: [newer, older] })).warning).to.equal(undefined);
  });

  it('keeps what is applied when the spec cannot be rendered, and names the field', function () {
    const ringfence = fence('fence', { egress: { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] } });
    const decided = plan(ringfence, observed({ ringfences: [ringfence], ownedNetworkPolicies: named('palisade-default-deny') }));
    expect(decided.apply).to.deep.equal([]);
    expect(decided.delete).to.deep.equal([]);
    expect(condition(decided.status, 'Ready')).to.include({ status: 'False', reason: 'InvalidSpec' });
    expect(decided.warning?.note).to.match(/^spec\.egress\.to\[0\]\.ipBlock\.cidr: /);
  });

  it('in DryRun applies nothing, removes what Enforce applied, and lists the plan', function () {
    const ringfence = fence('fence', { mode: 'DryRun', access: { viewers: [{ kind: 'User', name: 'ada' }] } });
    const decided = plan(ringfence, observed({ ringfences: [ringfence], ownedNetworkPolicies: named('palisade-default-deny') }));
    expect(decided.apply).to.deep.equal([]);
    expect(decided.delete).to.deep.equal([{ kind: 'NetworkPolicy', name: 'palisade-default-deny' }]);
    expect(decided.status.planned?.map((p) => `${p.kind}/${p.name}`)).to.deep.equal([
      'NetworkPolicy/palisade-default-deny', 'NetworkPolicy/palisade-same-namespace', 'NetworkPolicy/palisade-dns', 'RoleBinding/palisade-viewers',
    ]);
    expect(condition(decided.status, 'Ready')).to.include({ status: 'True', reason: 'DryRun' });
  });

  it('names peer namespaces that do not exist, sorted, and still applies their rules', function () {
    const ringfence = fence('fence', { ingress: { from: [{ namespaces: ['zeta', 'web'] }] }, egress: { to: [{ namespaces: ['db', 'web'] }] } });
    const decided = plan(ringfence, observed({ ringfences: [ringfence], namespaceExists: (name) => name === 'db' }));
    expect(decided.status.missingNamespaces).to.deep.equal(['web', 'zeta']);
    expect(decided.apply.map((o) => o.metadata.name)).to.include.members(['palisade-ingress', 'palisade-egress']);
    expect(condition(decided.status, 'Ready')?.message).to.include('peer namespaces not found (their rules are in place): web, zeta');
  });

  it('reports foreign RoleBindings granting access to subjects the ringfence does not list', function () {
    const ringfence = fence('fence', { access: { admins: [{ kind: 'Group', name: 'leads' }] } });
    const foreignBindings = [
      { metadata: { name: 'also-leads' }, roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'leads' }] },
      { metadata: { name: 'backdoor' }, roleRef: { kind: 'Role', name: 'secrets' }, subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'other' }] },
    ];
    const decided = plan(ringfence, observed({ ringfences: [ringfence], foreignBindings }));
    expect(condition(decided.status, 'AccessDrift')).to.include({
      status: 'True', reason: 'ForeignBindings', message: 'RoleBinding backdoor grants Role secrets to ServiceAccount/other/x',
    });
    const noAccess = fence('fence', {});
    expect(condition(plan(noAccess, observed({ ringfences: [noAccess], foreignBindings })).status, 'AccessDrift')).to.include({ status: 'False' });
  });
});
