import { expect } from 'chai';
import { applyPatch } from 'rfc6902';
import { namespaceApply, planNamespace, STATE_ANNOTATION, type ManagedNamespace } from '../../../src/controllers/podsecuritybaseline/namespace-plan.ts';
import { effectivePolicy } from '../../../src/podsecurity/namespace-policy.ts';
import { parseViolations } from '../../../src/controllers/podsecuritybaseline/violations.ts';
import { baseline } from '../../podsecurity/namespace-policy.test.ts';

/** The enforce level the dry runs tried. */
const ENFORCE = { level: 'restricted', version: 'latest' } as const;

const PSA = 'pod-security.kubernetes.io/';
const restricted = effectivePolicy([baseline('tenants', { enforce: { level: 'restricted', version: 'v1.37' } })]);
const immediate = effectivePolicy([baseline('tenants', { enforce: { level: 'restricted', version: 'v1.37' }, rollout: 'Immediate' })]);
const namespace = (labels: Record<string, string>, annotations: Record<string, string> = {}): ManagedNamespace =>
  ({ metadata: { name: 'team', resourceVersion: '42', labels: { 'kubernetes.io/metadata.name': 'team', ...labels }, annotations } });
const clean = parseViolations([], ENFORCE);
const violating = parseViolations(['web: privileged'], ENFORCE);
const all = (level: string, version: string) => Object.fromEntries(['enforce', 'audit', 'warn'].flatMap((m) => [[`${PSA}${m}`, level], [`${PSA}${m}-version`, version]]));

describe('PodSecurityBaseline namespace plan', function () {
  it('asks for a dry run before enforcing a level not in force, under either rollout', function () {
    expect(planNamespace(namespace({}), restricted)).to.deep.equal({ action: 'check', enforce: { level: 'restricted', version: 'v1.37' } });
    expect(planNamespace(namespace({}), immediate)).to.have.property('action', 'check');
  });

  it('sets all six labels when nothing would be rejected, and records that nothing was there before', function () {
    const plan = planNamespace(namespace({ team: 'a' }), restricted, clean);
    expect(plan).to.deep.include({ action: 'apply', enforced: true, labels: all('restricted', 'v1.37'), drift: [] });
    if (plan.action !== 'apply') throw new Error('unreachable');
    expect(namespaceApply('team', plan)).to.deep.equal({
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: 'team', labels: all('restricted', 'v1.37'), annotations: { [STATE_ANNOTATION]: JSON.stringify({ previous: {}, applied: plan.state.applied }) } },
    });
  });

  it('with violations, AuditFirst sets audit and warn and keeps what enforce was; Immediate enforces anyway', function () {
    const before = { [`${PSA}enforce`]: 'baseline', [`${PSA}audit`]: 'privileged', other: 'kept' };
    const waiting = planNamespace(namespace(before), restricted, violating);
    expect(waiting).to.deep.include({ action: 'apply', enforced: false });
    if (waiting.action !== 'apply') throw new Error('unreachable');
    expect(waiting.labels[`${PSA}enforce`]).to.equal('baseline');
    expect(waiting.labels).to.not.have.property(`${PSA}enforce-version`);
    expect(waiting.labels).to.include({ [`${PSA}audit`]: 'restricted', [`${PSA}warn-version`]: 'v1.37' });
    expect(waiting.state.previous).to.deep.equal({ [`${PSA}enforce`]: 'baseline', [`${PSA}audit`]: 'privileged' });
    expect(planNamespace(namespace(before), immediate, violating)).to.deep.include({ action: 'apply', enforced: true });
    expect(planNamespace(namespace(before), restricted, parseViolations(['new PodSecurity enforce level only checked against the first 1 of 2 existing pods'], ENFORCE)))
      .to.deep.include({ enforced: false });
  });

  it('keeps the recorded previous values, and reports a hand edit of a label it set as drift', function () {
    const state = JSON.stringify({ previous: { [`${PSA}enforce`]: 'baseline' }, applied: all('restricted', 'v1.37') });
    const edited = namespace({ ...all('restricted', 'v1.37'), [`${PSA}enforce`]: 'privileged' }, { [STATE_ANNOTATION]: state });
    const plan = planNamespace(edited, restricted, clean);
    expect(plan).to.deep.include({ action: 'apply', drift: [{ label: `${PSA}enforce`, applied: 'restricted', found: 'privileged' }] });
    if (plan.action !== 'apply') throw new Error('unreachable');
    expect(plan.state.previous).to.deep.equal({ [`${PSA}enforce`]: 'baseline' });
    expect(planNamespace(namespace(all('restricted', 'v1.37'), { [STATE_ANNOTATION]: state }), restricted)).to.deep.include({ drift: [] });
  });

  it('while enforcement waits, puts back an enforce level it set that someone loosened by hand', function () {
    const state = JSON.stringify({ previous: {}, applied: all('baseline', 'v1.37') });
    const loosened = namespace({ ...all('baseline', 'v1.37'), [`${PSA}enforce`]: 'privileged' }, { [STATE_ANNOTATION]: state });
    const plan = planNamespace(loosened, restricted, violating);
    expect(plan).to.deep.include({ action: 'apply', enforced: false, drift: [{ label: `${PSA}enforce`, applied: 'baseline', found: 'privileged' }] });
    if (plan.action !== 'apply') throw new Error('unreachable');
    expect(plan.labels).to.include({ [`${PSA}enforce`]: 'baseline', [`${PSA}enforce-version`]: 'v1.37' });
  });

  it('leaves the labels as they are on release when its record of what was there is damaged', function () {
    const damaged = namespace(all('restricted', 'v1.37'), { [STATE_ANNOTATION]: '{not json' });
    const plan = planNamespace(damaged, undefined);
    if (plan.action !== 'release') throw new Error(`expected release, got ${plan.action}`);
    const released = structuredClone(damaged);
    applyPatch(released, plan.patch);
    expect(released.metadata.labels).to.deep.equal(damaged.metadata.labels);
    expect(released.metadata.annotations).to.deep.equal({});
  });

  it('hands back exactly what was there before, other labels untouched, only if the namespace did not move on', function () {
    const previous = { [`${PSA}enforce`]: 'baseline', [`${PSA}warn`]: 'restricted' };
    const managed = namespace({ ...all('restricted', 'v1.37'), [`${PSA}enforce`]: 'restricted', other: 'kept' },
      { [STATE_ANNOTATION]: JSON.stringify({ previous, applied: all('restricted', 'v1.37') }), note: 'kept' });
    const plan = planNamespace(managed, undefined);
    if (plan.action !== 'release') throw new Error(`expected release, got ${plan.action}`);
    expect(plan.patch[0]).to.deep.equal({ op: 'test', path: '/metadata/resourceVersion', value: '42' });
    const released = structuredClone(managed);
    expect(applyPatch(released, plan.patch).every((error) => error === null)).to.equal(true);
    expect(released.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'team', other: 'kept', ...previous });
    expect(released.metadata.annotations).to.deep.equal({ note: 'kept' });
    expect(planNamespace(namespace({}), undefined)).to.deep.equal({ action: 'none' });
  });
});
