import { expect } from 'chai';
import { findCondition, setCondition } from '../../src/runtime/conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('conditions', function () {
  it('adds a condition with the generation and a second-precision transition time', function () {
    const conditions = setCondition([], { type: 'Ready', status: 'False', reason: 'Applying', message: 'applying' }, 3, t0);
    expect(conditions).to.deep.equal([{
      type: 'Ready', status: 'False', reason: 'Applying', message: 'applying', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z',
    }]);
  });

  it('keeps lastTransitionTime when only reason, message or generation change', function () {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Applying', message: 'a' }, 1, t0);
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'Conflict', message: 'b' }, 2, t1);
    expect(after[0]).to.include({ reason: 'Conflict', message: 'b', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00Z' });
  });

  it('moves lastTransitionTime when the status changes, and leaves other types in place', function () {
    let conditions = setCondition([], { type: 'Ready', status: 'False', reason: 'Applying', message: '' }, 1, t0);
    conditions = setCondition(conditions, { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' }, 1, t0);
    conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Applied', message: '' }, 1, t1);
    expect(conditions.map((c) => [c.type, c.status, c.lastTransitionTime])).to.deep.equal([
      ['Ready', 'True', '2026-01-01T00:05:00Z'],
      ['Degraded', 'False', '2026-01-01T00:00:00Z'],
    ]);
    expect(findCondition(conditions, 'Degraded')?.status).to.equal('False');
  });
});
