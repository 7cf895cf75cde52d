import { expect } from 'chai';
import { baselineStatus, type Observed } from '../../../src/controllers/podsecuritybaseline/status.ts';
import { parseViolations } from '../../../src/controllers/podsecuritybaseline/violations.ts';
import { baseline } from '../../podsecurity/namespace-policy.test.ts';

/** The enforce level the dry runs tried. */
const ENFORCE = { level: 'restricted', version: 'latest' } as const;

const PSA = 'pod-security.kubernetes.io/';
const NOW = new Date('2026-12-01T10:00:00Z');
const namespace = (name: string, enforce?: [string, string]) => ({
  metadata: { name, labels: { tenant: 'true', ...(enforce ? { [`${PSA}enforce`]: enforce[0], [`${PSA}enforce-version`]: enforce[1] } : {}) } },
});
const strict = { ...baseline('strict', { enforce: { level: 'restricted', version: 'latest' } }), metadata: { name: 'strict', generation: 3 } };
const loose = { ...baseline('loose', { enforce: { level: 'baseline', version: 'latest' } }), metadata: { name: 'loose', generation: 1 } };
const observed = (overrides: Partial<Observed>): Observed => ({
  namespaces: [], baselines: [strict, loose], operatorNamespace: 'palisade-system', violations: new Map(), failures: new Map(), ...overrides,
});
const condition = (status: ReturnType<typeof baselineStatus>, type: string) => status.conditions?.find((c) => c.type === type);

describe('PodSecurityBaseline status', function () {
  it('counts matched, enforced and pending namespaces, with the violations that hold enforcement back', function () {
    const status = baselineStatus(strict, observed({
      namespaces: [namespace('a', ['restricted', 'latest']), namespace('b', ['baseline', 'latest']), namespace('c'), namespace('kube-system')],
      violations: new Map([['b', parseViolations(['web (and 1 other pod): privileged'], ENFORCE)]]),
    }), NOW);
    expect(status).to.deep.include({ observedGeneration: 3, matchedNamespaces: 3, enforcedNamespaces: 1, pendingNamespaces: 2, violatingPods: 2 });
    expect(status.violations).to.deep.equal([{ namespace: 'b', total: 2, pods: [{ name: 'web', checks: ['pss/privileged'] }] }]);
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'EnforcementPending', observedGeneration: 3 });
    expect(condition(status, 'Progressing')).to.include({ status: 'True', reason: 'EnforcementPending' });
    expect(condition(status, 'Degraded')).to.include({ status: 'False' });
  });

  it('reports violators in an enforced namespace too (Immediate enforces over them)', function () {
    const status = baselineStatus(strict, observed({
      namespaces: [namespace('a', ['restricted', 'latest'])], violations: new Map([['a', parseViolations(['old: privileged'], ENFORCE)]]),
    }), NOW);
    expect(status).to.deep.include({ enforcedNamespaces: 1, pendingNamespaces: 0, violatingPods: 1 });
    expect(condition(status, 'Ready')).to.include({ status: 'True' });
  });

  it('reports where a stricter baseline wins, and counts a namespace enforced by it as enforced', function () {
    const status = baselineStatus(loose, observed({ namespaces: [namespace('a', ['restricted', 'latest'])] }), NOW);
    expect(status.overridden).to.deep.equal(['enforce', 'audit', 'warn'].map((mode) => ({ namespace: 'a', mode, by: 'strict' })));
    expect(status).to.deep.include({ matchedNamespaces: 1, enforcedNamespaces: 1, pendingNamespaces: 0 });
    expect(condition(status, 'Ready')).to.include({ status: 'True', reason: 'Enforced' });
  });

  it('is Degraded, and not Ready, while a matched namespace cannot be labelled', function () {
    const status = baselineStatus(strict, observed({ namespaces: [namespace('a', ['restricted', 'latest']), namespace('b')], failures: new Map([['a', 'forbidden'], ['b', 'conflict']]) }), NOW);
    expect(status, 'neither enforced nor pending').to.include({ matchedNamespaces: 2, enforcedNamespaces: 0, pendingNamespaces: 0 });
    expect(condition(status, 'Degraded')).to.include({ status: 'True', reason: 'LabelingFailed' });
    expect(condition(status, 'Degraded')!.message).to.contain('a: forbidden');
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'LabelingFailed' });
  });
});
