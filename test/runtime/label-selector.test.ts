import { expect } from 'chai';
import { matchesLabels, parseLabelSelector } from '../../src/runtime/label-selector.ts';

describe('label selectors (equality-based)', function () {
  const matches = (selector: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(selector), labels);

  it('reads =, ==, !=, existence and absence, every requirement holding', function () {
    expect(matches('app=web', { app: 'web' })).to.equal(true);
    expect(matches('app==web', { app: 'db' })).to.equal(false);
    expect(matches('app.kubernetes.io/managed-by!=palisade', {})).to.equal(true);
    expect(matches('app.kubernetes.io/managed-by!=palisade', { 'app.kubernetes.io/managed-by': 'palisade' })).to.equal(false);
    expect(matches('tier', { tier: '' })).to.equal(true);
    expect(matches('!tier', { tier: '' })).to.equal(false);
    expect(matches('app=web, !tier', { app: 'web' })).to.equal(true);
    expect(matches('', { any: 'thing' })).to.equal(true);
  });

  it('refuses set-based requirements rather than misreading them', function () {
    expect(() => parseLabelSelector('tier in (web,db)')).to.throw(/only equality-based/);
    expect(() => parseLabelSelector('replicas>1')).to.throw(/only equality-based/);
  });
});
