import { expect } from 'chai';
import { decide, type Observed, type ObservedRingfence } from '../../../src/controllers/namespaceringfence/decide.ts';
import { render } from '../../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';
import type { KubeObject } from '../../../src/runtime/client.ts';
import type { EffectFailure, Effects } from '../../../src/runtime/effects.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const fence = (name: string, spec: NamespaceRingfenceSpec, created = '2026-01-01T00:00:00Z'): ObservedRingfence => ({
  metadata: { name, namespace: 'team', uid: `uid-${name}`, resourceVersion: '1', generation: 2, creationTimestamp: created }, spec,
});
const observed = (ringfence: ObservedRingfence, overrides: Partial<Observed> = {}): Observed => ({
  ringfence, ringfences: [ringfence], namespaceExists: () => true, ownedNetworkPolicies: [], ownedRoleBindings: [], foreignBindings: [], now: NOW, ...overrides,
});
const named = (...names: string[]): KubeObject[] => names.map((name) => ({ metadata: { name, uid: name, resourceVersion: '1' } }));
type Status = { conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[]; [field: string]: unknown };
const statusOf = (effects: Effects) => effects.status?.object.status as Status;
const condition = (effects: Effects, type: string) => statusOf(effects).conditions?.find((c) => c.type === type);
const applied = (effects: Effects) => (effects.apply ?? []).map((e) => `${e.object.kind}/${e.object.metadata.name}`);
const deleted = (effects: Effects) => (effects.delete ?? []).map((e) => `${e.resource.kind}/${e.name}`);
const refused = (kind: string, name: string, message = 'refused'): EffectFailure => ({ verb: 'apply', kind, name, namespace: 'team', code: 422, message });

describe('NamespaceRingfence decide', function () {
  it('applies the rendered objects and deletes what it generated before but no longer wants', function () {
    const ringfence = fence('fence', { access: { editors: [{ kind: 'Group', name: 'devs' }] } });
    const effects = decide(observed(ringfence, {
      ownedNetworkPolicies: named('palisade-default-deny', 'palisade-egress'),
      ownedRoleBindings: named('palisade-editors', 'palisade-viewers'),
    }));
    expect(applied(effects)).to.deep.equal([
      'NetworkPolicy/palisade-default-deny', 'NetworkPolicy/palisade-same-namespace', 'NetworkPolicy/palisade-dns', 'RoleBinding/palisade-editors',
    ]);
    expect(deleted(effects)).to.deep.equal(['NetworkPolicy/palisade-egress', 'RoleBinding/palisade-viewers']);
    expect(statusOf(effects)).to.include({ observedGeneration: 2, policyCount: 3, bindingCount: 1 });
    expect(condition(effects, 'Ready')).to.include({ status: 'True', reason: 'Applied', lastTransitionTime: '2026-12-01T10:00:00Z' });
  });

  it('applies the default deny first and never removes it; an allow the server refuses is removed (fail closed)', function () {
    const effects = decide(observed(fence('fence', { egress: { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] } })));
    const byName = new Map((effects.apply ?? []).map((e) => [e.object.metadata.name, e]));
    expect(byName.get('palisade-default-deny')).to.include({ first: true, failClosed: false, force: true });
    for (const name of ['palisade-same-namespace', 'palisade-dns', 'palisade-egress']) expect(byName.get(name)).to.include({ first: false, failClosed: true });
  });

  it('reports refused objects by name and message at the failing generation, and keeps the rest listed', function () {
    const ringfence = fence('fence', { egress: { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }, access: { viewers: [{ kind: 'User', name: 'ada' }] } });
    const effects = decide(observed(ringfence), [refused('NetworkPolicy', 'palisade-egress', 'spec.egress[0].to[0].ipBlock.cidr: Invalid value')]);
    expect(condition(effects, 'Ready')).to.include({ status: 'False', reason: 'ApplyFailed' });
    expect(condition(effects, 'Ready')?.message).to.equal(
      'apply NetworkPolicy palisade-egress failed (422): spec.egress[0].to[0].ipBlock.cidr: Invalid value; palisade-default-deny is in place');
    expect(condition(effects, 'NetworkPoliciesReady')).to.include({ status: 'False', reason: 'ApplyFailed' });
    expect(condition(effects, 'AccessReady')).to.include({ status: 'True', reason: 'Applied' });
    expect(statusOf(effects)).to.include({ observedGeneration: 2, policyCount: 3, bindingCount: 1 });
    expect(statusOf(effects).networkPolicies).to.not.include('palisade-egress');
    expect(effects.events?.map((e) => `${e.type} ${e.reason}`)).to.deep.equal(['Warning ApplyFailed']);
  });

  it('records the failure Event once: not again while the status already reports the same failure', function () {
    const ringfence = fence('fence', {});
    const failures = [refused('NetworkPolicy', 'palisade-dns')];
    const first = decide(observed(ringfence), failures);
    const reported = { ...ringfence, status: statusOf(first) as ObservedRingfence['status'] };
    const live = render(ringfence).networkPolicies.filter((p) => p.metadata.name !== 'palisade-dns')
      .map((p) => ({ ...p, metadata: { ...p.metadata, uid: p.metadata.name, resourceVersion: '1', managedFields: [{ manager: 'palisade', operation: 'Apply', fieldsV1: {} }] } }));
    const again = (failed: EffectFailure[]) => decide(observed(reported, { ownedNetworkPolicies: live }), failed).events;
    expect(again(failures)).to.deep.equal([]);
    expect(again([refused('NetworkPolicy', 'palisade-dns', 'another reason')])?.map((e) => e.reason)).to.deep.equal(['ApplyFailed']);
  });

  it('says so when the default deny itself could not be applied', function () {
    const effects = decide(observed(fence('fence', {})), [refused('NetworkPolicy', 'palisade-default-deny')]);
    expect(condition(effects, 'Ready')?.message).to.not.include('is in place');
  });

  it('reverts drift with an Event while the spec is unchanged, and only then', function () {
    const ringfence = fence('fence', {});
    const [deny] = render(ringfence).networkPolicies;
    const edited = { ...deny!, metadata: { ...deny!.metadata, uid: 'x', resourceVersion: '2' }, spec: { ...deny!.spec, podSelector: { matchLabels: { a: 'b' } } } };
    const settled = { ...ringfence, status: { observedGeneration: 2, networkPolicies: ['palisade-default-deny', 'palisade-same-namespace', 'palisade-dns'] } };
    const effects = decide(observed(settled, { ownedNetworkPolicies: [edited] }));
    expect(effects.events?.map((e) => e.note)).to.deep.equal([
      'NetworkPolicy palisade-default-deny was changed outside Palisade; put back',
      'NetworkPolicy palisade-same-namespace was deleted outside Palisade; put back',
      'NetworkPolicy palisade-dns was deleted outside Palisade; put back',
    ]);
    expect(decide(observed(ringfence, { ownedNetworkPolicies: [edited] })).events).to.deep.equal([]);
  });

  it('lets the oldest ringfence of a namespace win; a newer one reports Conflict, applies nothing and keeps nothing', function () {
    const older = fence('older', {}, '2026-01-01T00:00:00Z');
    const newer = fence('newer', {}, '2026-02-01T00:00:00Z');
    const effects = decide(observed(newer, { ringfences: [newer, older], ownedNetworkPolicies: named('palisade-dns') }));
    expect(applied(effects)).to.deep.equal([]);
    expect(deleted(effects)).to.deep.equal(['NetworkPolicy/palisade-dns']);
    expect(condition(effects, 'Ready')).to.include({ status: 'False', reason: 'Conflict' });
    expect(effects.events?.[0]?.note).to.include('already fenced by NamespaceRingfence older');
    expect(decide(observed(older, { ringfences: [newer, older] })).events).to.deep.equal([]);
  });

  it('lets the next ringfence take over while the winner is being deleted', function () {
    const older = { ...fence('older', {}, '2026-01-01T00:00:00Z'), metadata: { ...fence('older', {}).metadata, deletionTimestamp: '2026-12-01T09:59:00Z' } };
    const newer = fence('newer', {}, '2026-02-01T00:00:00Z');
    expect(condition(decide(observed(newer, { ringfences: [newer, older] })), 'Ready')).to.include({ status: 'True', reason: 'Applied' });
  });

  it('says which of its objects could not be deleted, in DryRun and when it lost a Conflict', function () {
    const refusedDelete = [{ verb: 'delete' as const, kind: 'NetworkPolicy', name: 'palisade-dns', namespace: 'team', code: 500, message: 'etcd timeout' }];
    const dry = decide(observed(fence('fence', { mode: 'DryRun' }), { ownedNetworkPolicies: named('palisade-dns') }), refusedDelete);
    expect(condition(dry, 'Ready')).to.include({ status: 'False', reason: 'DeleteFailed' });
    expect(condition(dry, 'Ready')?.message).to.include('delete NetworkPolicy palisade-dns failed (500): etcd timeout');
    const older = fence('older', {}, '2026-01-01T00:00:00Z');
    const newer = fence('newer', {}, '2026-02-01T00:00:00Z');
    const lost = decide(observed(newer, { ringfences: [newer, older], ownedNetworkPolicies: named('palisade-dns') }), refusedDelete);
    expect(condition(lost, 'Ready')).to.include({ status: 'False', reason: 'Conflict' });
    expect(condition(lost, 'Ready')?.message).to.include('generates nothing; delete NetworkPolicy palisade-dns failed');
  });

  it('keeps what is applied when the spec cannot be rendered, and names the field', function () {
    const ringfence = fence('fence', { egress: { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] } });
    const effects = decide(observed(ringfence, { ownedNetworkPolicies: named('palisade-default-deny') }));
    expect(applied(effects)).to.deep.equal([]);
    expect(deleted(effects)).to.deep.equal([]);
    expect(condition(effects, 'Ready')).to.include({ status: 'False', reason: 'InvalidSpec' });
    expect(effects.events?.[0]?.note).to.match(/^spec\.egress\.to\[0\]\.ipBlock\.cidr: /);
  });

  it('in DryRun applies nothing, removes what Enforce applied, and lists the plan', function () {
    const ringfence = fence('fence', { mode: 'DryRun', access: { viewers: [{ kind: 'User', name: 'ada' }] } });
    const effects = decide(observed(ringfence, { ownedNetworkPolicies: named('palisade-default-deny') }));
    expect(applied(effects)).to.deep.equal([]);
    expect(deleted(effects)).to.deep.equal(['NetworkPolicy/palisade-default-deny']);
    expect((statusOf(effects).planned as { kind: string; name: string }[]).map((p) => `${p.kind}/${p.name}`)).to.deep.equal([
      'NetworkPolicy/palisade-default-deny', 'NetworkPolicy/palisade-same-namespace', 'NetworkPolicy/palisade-dns', 'RoleBinding/palisade-viewers',
    ]);
    expect(condition(effects, 'Ready')).to.include({ status: 'True', reason: 'DryRun', message: '3 NetworkPolicies and 1 RoleBindings would be applied' });
  });

  it('names peer namespaces that do not exist, sorted, and still applies their rules', function () {
    const ringfence = fence('fence', { ingress: { from: [{ namespaces: ['zeta', 'web'] }] }, egress: { to: [{ namespaces: ['db', 'web'] }] } });
    const effects = decide(observed(ringfence, { namespaceExists: (name) => name === 'db' }));
    expect(statusOf(effects).missingNamespaces).to.deep.equal(['web', 'zeta']);
    expect(applied(effects)).to.include.members(['NetworkPolicy/palisade-ingress', 'NetworkPolicy/palisade-egress']);
    expect(condition(effects, 'Ready')?.message).to.include('peer namespaces not found (their rules are in place): web, zeta');
  });

  it('reports foreign RoleBindings granting access to subjects the ringfence does not list', function () {
    const ringfence = fence('fence', { access: { admins: [{ kind: 'Group', name: 'leads' }] } });
    const foreignBindings = [
      { metadata: { name: 'also-leads' }, roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'leads' }] },
      { metadata: { name: 'backdoor' }, roleRef: { kind: 'Role', name: 'secrets' }, subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'other' }] },
    ];
    expect(condition(decide(observed(ringfence, { foreignBindings })), 'AccessDrift')).to.include({
      status: 'True', reason: 'ForeignBindings', message: 'RoleBinding backdoor grants Role secrets to ServiceAccount/other/x',
    });
    expect(condition(decide(observed(fence('fence', {}), { foreignBindings })), 'AccessDrift')).to.include({ status: 'False' });
  });
});
