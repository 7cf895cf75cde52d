import { expect } from 'chai';
import type { PodSecurityBaselineSpec } from '../../src/api/podsecuritybaseline.ts';
import { compareStrictness, effectivePolicy, selects, type Baseline } from '../../src/podsecurity/namespace-policy.ts';

export const baseline = (name: string, spec: Partial<PodSecurityBaselineSpec>): Baseline => ({
  metadata: { name }, spec: { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'restricted', version: 'latest' }, ...spec },
});
const namespace = (name: string, labels: Record<string, string> = { tenant: 'true' }) => ({ metadata: { name, labels } });

describe('PodSecurityBaseline policy', function () {
  it('selects by selector and by name; exclusions win; system and operator namespaces only when named', function () {
    const tenants = baseline('t', { excludeNamespaces: ['legacy'] });
    expect(selects(tenants, namespace('a'), 'palisade-system')).to.equal(true);
    expect(selects(tenants, namespace('b', {}), 'palisade-system')).to.equal(false);
    expect(selects(tenants, namespace('legacy'), 'palisade-system')).to.equal(false);
    for (const system of ['kube-system', 'kube-public', 'kube-node-lease', 'palisade-system']) {
      expect(selects(tenants, namespace(system), 'palisade-system'), system).to.equal(false);
    }
    const named = baseline('n', { namespaceSelector: undefined, namespaces: ['kube-system', 'legacy'], excludeNamespaces: ['legacy'] });
    expect(selects(named, namespace('kube-system', {}), 'palisade-system')).to.equal(true);
    expect(selects(named, namespace('legacy'), 'palisade-system')).to.equal(false);
    const expressions = baseline('e', { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['system'] }, { key: 'tenant', operator: 'Exists' }] } });
    expect(selects(expressions, namespace('x', { tenant: 'y', tier: 'web' }), '')).to.equal(true);
    expect(selects(expressions, namespace('x', { tenant: 'y', tier: 'system' }), '')).to.equal(false);
  });

  it('orders strictness by level, then version, latest newest', function () {
    expect(compareStrictness({ level: 'restricted', version: 'v1.20' }, { level: 'baseline', version: 'latest' })).to.be.above(0);
    expect(compareStrictness({ level: 'baseline', version: 'latest' }, { level: 'baseline', version: 'v1.37' })).to.be.above(0);
    expect(compareStrictness({ level: 'baseline', version: 'v1.9' }, { level: 'baseline', version: 'v1.10' })).to.be.below(0);
    expect(compareStrictness({ level: 'baseline', version: 'v2.0' }, { level: 'baseline', version: 'v1.99' })).to.be.above(0);
    expect(compareStrictness({ level: 'privileged', version: 'v1.30' }, { level: 'privileged', version: 'v1.30' })).to.equal(0);
  });

  it('lets the strictest win per mode, the first by name on a tie, in any order; audit and warn default to enforce', function () {
    const loose = baseline('a-loose', { enforce: { level: 'baseline', version: 'v1.37' }, audit: { level: 'restricted', version: 'latest' }, rollout: 'Immediate' });
    const strict = baseline('b-strict', { enforce: { level: 'restricted', version: 'v1.36' } });
    const twin = baseline('c-twin', { enforce: { level: 'restricted', version: 'v1.36' } });
    for (const order of [[loose, strict, twin], [twin, strict, loose]]) {
      const policy = effectivePolicy(order)!;
      expect(policy.modes.enforce).to.deep.equal({ value: { level: 'restricted', version: 'v1.36' }, baseline: 'b-strict' });
      expect(policy.modes.audit).to.deep.equal({ value: { level: 'restricted', version: 'latest' }, baseline: 'a-loose' });
      expect(policy.modes.warn.baseline).to.equal('b-strict');
      expect(policy.rollout).to.equal('AuditFirst');
    }
    expect(effectivePolicy([])).to.equal(undefined);
  });
});
