import { expect } from 'chai';
import { decideBaseline, decideNamespace, FINALIZER, releaseBaseline, STATUS_INTERVAL_MS, type ObservedBaseline } from '../../../src/controllers/podsecuritybaseline/decide.ts';
import { NamespaceFindings } from '../../../src/controllers/podsecuritybaseline/findings.ts';
import { planNamespace, STATE_ANNOTATION } from '../../../src/controllers/podsecuritybaseline/namespace-plan.ts';
import { effectivePolicy } from '../../../src/podsecurity/namespace-policy.ts';
import { parseViolations } from '../../../src/controllers/podsecuritybaseline/violations.ts';
import { baseline } from '../../podsecurity/namespace-policy.test.ts';

/** The enforce level the dry runs tried. */
const ENFORCE = { level: 'restricted', version: 'latest' } as const;

const NOW = new Date('2026-12-01T10:00:00Z');
const PSA = 'pod-security.kubernetes.io/';
const strict = { ...baseline('strict', { enforce: { level: 'restricted', version: 'latest' } }), metadata: { name: 'strict', uid: 'u', resourceVersion: '1', generation: 3 } };
const tenantNamespace = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) =>
  ({ metadata: { name: 'team', resourceVersion: '7', labels: { tenant: 'true', ...labels }, annotations } });

describe('PodSecurityBaseline decide', function () {
  it('applies the six labels with force, and names each label put back after a hand edit on the baseline that set it', function () {
    const applied = { [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'latest' };
    const ns = tenantNamespace({ ...applied, [`${PSA}enforce`]: 'privileged' }, { [STATE_ANNOTATION]: JSON.stringify({ previous: {}, applied }) });
    const policy = effectivePolicy([strict]);
    const plan = planNamespace(ns, policy, parseViolations([], ENFORCE));
    const effects = decideNamespace('team', plan, policy, (name) => (name === 'strict' ? strict : undefined));
    expect(effects.apply?.[0]).to.include({ force: true });
    expect(effects.apply?.[0]?.object.metadata).to.deep.include({ name: 'team' });
    expect(effects.events?.map((e) => `${e.regarding.metadata.name} ${e.reason}: ${e.note}`)).to.deep.equal([
      `strict DriftReverted: namespace team: ${PSA}enforce was set to "privileged" outside Palisade; put back to "restricted"`,
    ]);
    const refused = [{ verb: 'apply' as const, kind: 'Namespace', name: 'team', code: 422, message: 'no' }];
    expect(decideNamespace('team', plan, policy, () => strict, refused).events, 'nothing was put back').to.deep.equal([]);
  });

  it('hands the labels back with a JSON patch when no baseline selects the namespace any more', function () {
    const ns = tenantNamespace({ [`${PSA}enforce`]: 'restricted' }, { [STATE_ANNOTATION]: JSON.stringify({ previous: {}, applied: {} }) });
    const effects = decideNamespace('team', planNamespace(ns, undefined), undefined, () => undefined);
    expect(effects.patch?.[0]).to.deep.include({ type: 'json', target: { name: 'team' } });
    expect(effects.apply).to.equal(undefined);
  });

  const observedBaseline = (overrides: Partial<ObservedBaseline> = {}): ObservedBaseline => ({
    baseline: strict, namespaces: [tenantNamespace()], baselines: [strict], operatorNamespace: 'palisade-system',
    violations: new Map(), failures: new Map(), now: NOW, statusWrittenAt: undefined, hasObserved: () => true, ...overrides,
  });

  it('holds the finalizer alone, no status, until each namespace it selects has been looked at since the start', function () {
    const held = decideBaseline(observedBaseline({ hasObserved: (namespace) => namespace !== 'team' }));
    expect(held.apply?.[0]?.object.metadata).to.deep.include({ finalizers: [FINALIZER] });
    expect(held.status).to.equal(undefined);
    expect(decideBaseline(observedBaseline({ hasObserved: (namespace) => namespace === 'team' })).status).to.not.equal(undefined);
  });

  it('keeps the finalizer and writes the status, at most once per interval', function () {
    const effects = decideBaseline(observedBaseline());
    expect(effects.apply?.[0]?.object.metadata).to.deep.include({ finalizers: [FINALIZER] });
    expect(effects.status?.object.status).to.deep.include({ observedGeneration: 3, matchedNamespaces: 1, pendingNamespaces: 1 });
    const soon = decideBaseline(observedBaseline({ statusWrittenAt: new Date(NOW.getTime() - 200) }));
    expect(soon.status).to.equal(undefined);
    expect(soon.requeueAfterMs).to.equal(STATUS_INTERVAL_MS - 200);
  });

  it('writes nothing when the status it would write is the one already there', function () {
    const written = decideBaseline(observedBaseline()).status!.object.status as object;
    const settled = { ...strict, status: written, metadata: { ...strict.metadata, managedFields: [{ manager: 'palisade', operation: 'Apply', subresource: 'status', fieldsV1: {} }] } };
    const again = decideBaseline(observedBaseline({ baseline: settled, now: new Date(NOW.getTime() + 60_000) }));
    expect(again.status).to.equal(undefined);
    expect(again.requeueAfterMs).to.equal(undefined);
  });

  it('lets go of the finalizer by applying the identity alone', function () {
    expect(releaseBaseline('strict').apply?.[0]?.object).to.deep.equal({ apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: 'strict' } });
  });
});

describe('PodSecurityBaseline namespace findings', function () {
  it('tells of a namespace looked at for the first time, and then only of changes', function () {
    const told: string[] = [];
    const findings = new NamespaceFindings((name) => told.push(name));
    expect(findings.hasObserved('a')).to.equal(false);
    findings.record('a', {});
    findings.record('a', {});
    const held = parseViolations(['web: privileged'], ENFORCE);
    findings.record('a', { violations: held });
    findings.record('a', { violations: held, failure: 'forbidden' });
    expect(told).to.deep.equal(['a', 'a', 'a']);
    expect(findings.hasObserved('a')).to.equal(true);
    expect(findings.failures.get('a')).to.equal('forbidden');
    findings.forget('a');
    expect(findings.hasObserved('a')).to.equal(false);
    expect(findings.violations.has('a')).to.equal(false);
  });
});
