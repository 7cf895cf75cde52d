import { expect } from 'chai';
import type { ClusterRingfenceSpec } from '../../../src/api/clusterringfence.ts';
import { decide, type Observed, type ObservedClusterRingfence } from '../../../src/controllers/clusterringfence/decide.ts';
import { render } from '../../../src/controllers/clusterringfence/render.ts';
import { clusterNetworkPolicies } from '../../../src/kubernetes/resources.ts';
import { inVersion } from '../../../src/runtime/discovery.ts';
import type { KubeObject } from '../../../src/runtime/client.ts';
import type { Condition } from '../../../src/runtime/conditions.ts';
import type { EffectFailure, Effects } from '../../../src/runtime/effects.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const BAND = { first: 100, last: 399 };
const SERVED = inVersion(clusterNetworkPolicies, 'v1beta1');
const SPEC: ClusterRingfenceSpec = { namespaceSelector: { matchLabels: { tenant: 'true' } }, guardrails: { isolateTenants: true } };
const fence = (name: string, spec: ClusterRingfenceSpec = SPEC, created = '2026-01-01T00:00:00Z'): ObservedClusterRingfence => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: '1', generation: 2, creationTimestamp: created }, spec,
});
const NAMESPACES = [{ name: 'a', labels: { tenant: 'true' } }, { name: 'b', labels: { tenant: 'true' } }];
const observed = (ringfence: ObservedClusterRingfence, overrides: Partial<Observed> = {}): Observed => ({
  ringfence, ringfences: [ringfence], served: SERVED, namespaces: NAMESPACES, owned: [], claimedBy: () => undefined, band: BAND, now: NOW, ...overrides,
});
const named = (...names: string[]): KubeObject[] => names.map((name) => ({ metadata: { name, uid: name, resourceVersion: '1' } }));
type Status = { conditions?: { type: string; status: string; reason: string; message: string }[]; [field: string]: unknown };
const statusOf = (effects: Effects) => effects.status?.object.status as Status;
const ready = (effects: Effects) => statusOf(effects).conditions?.find((c) => c.type === 'Ready');
const applied = (effects: Effects) => (effects.apply ?? []).map((e) => e.object.metadata.name);
const deleted = (effects: Effects) => (effects.delete ?? []).map((e) => e.name);

describe('ClusterRingfence decide', function () {
  it('applies the guardrails and tenants first, the isolation after them, and deletes what it no longer wants', function () {
    const effects = decide(observed(fence('tenants'), { owned: named('palisade-tenants-tenant-ns-gone', 'palisade-tenants-guardrails') }));
    expect(applied(effects)).to.deep.equal(['palisade-tenants-guardrails', 'palisade-tenants-tenant-ns-a', 'palisade-tenants-tenant-ns-b', 'palisade-tenants-isolation']);
    expect((effects.apply ?? []).map((e) => [e.first, e.failClosed])).to.deep.equal([[true, false], [true, true], [true, true], [false, false]]);
    expect(deleted(effects)).to.deep.equal(['palisade-tenants-tenant-ns-gone']);
    expect(statusOf(effects)).to.include({ apiVersion: 'policy.networking.k8s.io/v1beta1', adminPriorities: '100-103', baselinePriority: 100, namespaceCount: 2, tenantCount: 2, policyCount: 4 });
    expect(ready(effects)).to.include({ status: 'True', reason: 'Applied', message: '4 ClusterNetworkPolicies applied over 2 namespaces (2 tenants), Admin priorities 100-103' });
  });

  it('applies by what a policy is for, whatever the ringfence is called: the Denies are never deleted on a refusal', function () {
    const effects = decide(observed(fence('prod-tenant-x', { ...SPEC, guardrails: { isolateTenants: true, allow: { to: [{ namespaces: ['shared'] }] } }, defaults: { denyAll: true } })));
    expect((effects.apply ?? []).map((e) => `${e.object.metadata.name.replace('palisade-prod-tenant-x-', '')} first=${e.first} failClosed=${e.failClosed}`)).to.deep.equal([
      'guardrails first=true failClosed=false', 'allow first=false failClosed=true', 'tenant-ns-a first=true failClosed=true', 'tenant-ns-b first=true failClosed=true',
      'isolation first=false failClosed=false', 'baseline first=false failClosed=false',
    ]);
  });

  it('leaves a policy of a name another ringfence generated to it, writes the rest, and says so', function () {
    const effects = decide(observed(fence('tenants'), { claimedBy: (name) => (name === 'palisade-tenants-isolation' ? 'tenants-isolation' : undefined) }));
    expect(applied(effects)).to.not.include('palisade-tenants-isolation');
    expect(applied(effects)).to.include('palisade-tenants-guardrails');
    expect(ready(effects)).to.include({ status: 'False', reason: 'Conflict' });
    expect(ready(effects)?.message).to.equal('ClusterNetworkPolicy palisade-tenants-isolation is ClusterRingfence tenants-isolation\'s: rename one of the ringfences or the tenant');
    expect(effects.events?.map((e) => e.reason)).to.deep.equal(['Conflict']);
  });

  it('without ClusterNetworkPolicy served: Ready=False Unsupported naming what to install, nothing else, and looks again later', function () {
    const effects = decide(observed(fence('tenants'), { served: undefined, owned: named('palisade-tenants-guardrails') }));
    expect(effects.apply ?? []).to.deep.equal([]);
    expect(effects.delete).to.deep.equal([]);
    expect(ready(effects)).to.include({ status: 'False', reason: 'Unsupported' });
    expect(ready(effects)?.message).to.contain('install the CRDs of sigs.k8s.io/network-policy-api v0.3.0');
    expect(effects.requeueAfterMs).to.equal(30_000);
    expect(effects.events?.map((e) => e.reason)).to.deep.equal(['Unsupported']);
    const reported: ObservedClusterRingfence = { ...fence('tenants'), status: { observedGeneration: 2, conditions: statusOf(effects).conditions as Condition[] } };
    expect(decide(observed(reported, { served: undefined })).events).to.deep.equal([]);
  });

  it('gives a slot to the oldest ringfence: the younger generates nothing and removes what it made', function () {
    const older = fence('first', SPEC, '2025-01-01T00:00:00Z');
    const younger = fence('second');
    const effects = decide(observed(younger, { ringfences: [younger, older], owned: named('palisade-second-guardrails') }));
    expect(effects.apply ?? []).to.deep.equal([]);
    expect(deleted(effects)).to.deep.equal(['palisade-second-guardrails']);
    expect(ready(effects)).to.include({ status: 'False', reason: 'Conflict', message: 'priority slot 0 is taken by ClusterRingfence first; this one generates nothing' });
  });

  it('keeps what is applied when the spec is one it cannot render, and reports it as it stands', function () {
    const ringfence: ObservedClusterRingfence = { ...fence('tenants', { ...SPEC, priority: 99 }), status: { adminPriorities: '104-107', baselinePriority: 101 } };
    const effects = decide(observed(ringfence, { band: { first: 100, last: 120 }, owned: named('palisade-tenants-guardrails') }));
    expect(effects.apply ?? []).to.deep.equal([]);
    expect(effects.delete).to.deep.equal([]);
    expect(ready(effects)).to.include({ status: 'False', reason: 'InvalidSpec' });
    expect(ready(effects)?.message).to.match(/^spec\.priority: slot 99 needs Admin priorities 496-499/);
    expect(statusOf(effects)).to.deep.include({ policyCount: 1, clusterNetworkPolicies: ['palisade-tenants-guardrails'], adminPriorities: '104-107', baselinePriority: 101 });
  });

  it('in DryRun lists what Enforce would apply and removes what Enforce applied', function () {
    const effects = decide(observed(fence('tenants', { ...SPEC, mode: 'DryRun' }), { owned: named('palisade-tenants-isolation') }));
    expect(effects.apply ?? []).to.deep.equal([]);
    expect(deleted(effects)).to.deep.equal(['palisade-tenants-isolation']);
    expect(statusOf(effects).planned).to.deep.equal(['guardrails', 'tenant-ns-a', 'tenant-ns-b', 'isolation'].map((n) => ({ kind: 'ClusterNetworkPolicy', name: `palisade-tenants-${n}` })));
    expect(ready(effects)).to.include({ status: 'True', reason: 'DryRun' });
  });

  it('reports a refused policy by name, and says drift once the spec is observed', function () {
    const ringfence = fence('tenants');
    const refusal: EffectFailure = { verb: 'apply', kind: 'ClusterNetworkPolicy', name: 'palisade-tenants-isolation', code: 422, message: 'spec.priority: Invalid value' };
    const failed = decide(observed(ringfence), [refusal]);
    expect(ready(failed)).to.include({ status: 'False', reason: 'ApplyFailed', message: 'apply ClusterNetworkPolicy palisade-tenants-isolation failed (422): spec.priority: Invalid value' });
    expect(statusOf(failed).clusterNetworkPolicies).to.not.include('palisade-tenants-isolation');

    const desired = render(ringfence, NAMESPACES, 'policy.networking.k8s.io/v1beta1', BAND).policies;
    const settled: ObservedClusterRingfence = { ...ringfence, status: { observedGeneration: 2, clusterNetworkPolicies: desired.map((p) => p.metadata.name) } };
    const edited = desired.filter((p) => !p.metadata.name.endsWith('-isolation'))
      .map((p): KubeObject => ({ ...p, metadata: { ...p.metadata, uid: p.metadata.name, resourceVersion: '1' } }));
    const drift = decide(observed(settled, { owned: edited }));
    expect(drift.events?.map((e) => e.note)).to.include('ClusterNetworkPolicy palisade-tenants-isolation was deleted outside Palisade; put back');
    expect(decide(observed({ ...settled, metadata: { ...settled.metadata, generation: 3 } }, { owned: edited })).events).to.deep.equal([]);
  });
});
