import { expect } from 'chai';
import { compareResourceVersions } from '../../src/kubernetes/resource-version.ts';

describe('resourceVersion comparison', function () {
  it('orders etcd revisions as numbers, a longer one being later', function () {
    expect(compareResourceVersions('999', '1000')).to.be.below(0);
    expect(compareResourceVersions('1000', '999')).to.be.above(0);
    expect(compareResourceVersions('262', '262')).to.equal(0);
    expect(compareResourceVersions('262', '263')).to.be.below(0);
  });

  it('compares nothing it cannot read as a revision', function () {
    for (const [a, b] of [['', '1'], ['01', '1'], ['abc', '1'], ['1', '-1'], ['1.5', '2']]) expect(compareResourceVersions(a!, b!), `${a} ${b}`).to.equal(undefined);
  });
});
