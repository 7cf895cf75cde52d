import { expect } from 'chai';
import { due, lastSuccess, started } from '../../../src/controllers/keyrotationschedule/metrics.ts';
import type { Schedule, Status } from '../../../src/controllers/keyrotationschedule/plan.ts';

const schedule = (name: string, status?: Status, spec: Partial<Schedule['spec']> = {}): Schedule => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2026-02-25T10:00:00Z' },
  spec: { schedule: '0 3 * * 0', keyStore: { namespace: 'palisade-keys' }, ...spec },
  ...(status ? { status } : {}),
});
const at = (time: string) => Date.parse(time) / 1000;

describe('KeyRotationSchedule metrics', function () {
  // 2026-03-01 is a Sunday: the schedule rotates Sundays at 03:00.
  const rotated = schedule('rotated', { lastRotationTime: '2026-03-01T03:00:12Z', nextRotationTime: '2026-03-08T03:00:00Z' });
  const fresh = schedule('fresh');
  const rolledBack = schedule('rolled-back', {
    lastRotationTime: '2026-03-01T03:00:12Z', lastRollbackTime: '2026-03-08T03:20:00Z', nextRotationTime: '2026-03-15T03:00:00Z',
  });
  const rotating = schedule('rotating', {
    lastRotationTime: '2026-03-01T03:00:12Z', rotation: { key: 'key-3', startedAt: '2026-03-08T03:00:05Z' },
  });
  const suspended = schedule('suspended', { lastRotationTime: '2026-01-04T03:00:00Z' }, { suspend: true });
  const unparsable = schedule('unparsable', undefined, { schedule: 'every sunday' });
  const all = [rotated, fresh, rolledBack, rotating, suspended, unparsable];

  it('reports the last finished rotation of each schedule that had one', function () {
    expect(lastSuccess(all).map(({ labels }) => labels.name)).to.deep.equal(['rotated', 'rolled-back', 'rotating', 'suspended']);
    expect(lastSuccess([rotated])).to.deep.equal([{ labels: { name: 'rotated' }, value: at('2026-03-01T03:00:12Z') }]);
  });

  it('reports when the keys are due: after the last finished rotation, whatever a rollback did; none when suspended or unparsable', function () {
    expect(due(all)).to.deep.equal([
      { labels: { name: 'rotated' }, value: at('2026-03-08T03:00:00Z') },
      { labels: { name: 'fresh' }, value: at('2026-03-01T03:00:00Z') },
      // status.nextRotationTime says the 15th: the keys are still those of the 1st.
      { labels: { name: 'rolled-back' }, value: at('2026-03-08T03:00:00Z') },
      { labels: { name: 'rotating' }, value: at('2026-03-08T03:00:00Z') },
    ]);
  });

  it('reports when the rotation under way started, and nothing between rotations', function () {
    expect(started(all)).to.deep.equal([{ labels: { name: 'rotating' }, value: at('2026-03-08T03:00:05Z') }]);
  });
});
