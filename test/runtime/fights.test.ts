import { expect } from 'chai';
import { fieldConflicts, FightTracker, FIRST_BACKOFF_MS, MAX_BACKOFF_MS, QUIET_MS } from '../../src/runtime/fights.ts';

const D = '{"the":"desired object"}';
const argo = { manager: 'argocd-controller', fields: ['.metadata.labels.pod-security.kubernetes.io/enforce'] };

describe('FightTracker', function () {
  it('treats a first conflict as drift, and the same manager re-taking the same field as a fight', function () {
    const fights = new FightTracker();
    expect(fights.conflicted('ns/a', argo, D, 0)).to.equal(undefined);
    expect(fights.waiting('ns/a', D, 1_000)).to.equal(undefined);
    expect(fights.conflicted('ns/a', argo, D, 5_000)).to.deep.equal({ conflict: argo, retryAfterMs: FIRST_BACKOFF_MS });
  });

  it('backs off exponentially up to the cap, and reports the fight while waiting', function () {
    const fights = new FightTracker();
    let now = 0;
    fights.conflicted('ns/a', argo, D, now);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      now += 1_000;
      const fight = fights.conflicted('ns/a', argo, D, now)!;
      delays.push(fight.retryAfterMs);
      expect(fights.waiting('ns/a', D, now + fight.retryAfterMs - 1)?.conflict).to.deep.equal(argo);
      expect(fights.waiting('ns/a', D, now + fight.retryAfterMs)).to.equal(undefined);
      now += fight.retryAfterMs;
    }
    expect(delays).to.deep.equal([10_000, 20_000, 40_000, 80_000, 160_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
  });

  it('keeps reporting a fight while the object is as wanted, until the other manager has been quiet long enough', function () {
    const fights = new FightTracker();
    fights.conflicted('ns/a', argo, D, 0);
    fights.conflicted('ns/a', argo, D, 1_000);
    expect(fights.settled('ns/a', 2_000)?.retryAfterMs).to.equal(QUIET_MS - 1_000);
    expect(fights.settled('ns/a', 1_000 + QUIET_MS)).to.equal(undefined);
    expect(fights.conflicted('ns/a', argo, D, 2_000 + QUIET_MS), 'a conflict after the quiet time starts over').to.equal(undefined);
  });

  it('does not call it a fight when another manager or other fields are involved', function () {
    const fights = new FightTracker();
    fights.conflicted('ns/a', argo, D, 0);
    expect(fights.conflicted('ns/a', { ...argo, manager: 'kubectl-edit' }, D, 1_000)).to.equal(undefined);
    expect(fights.conflicted('ns/a', { ...argo, manager: 'kubectl-edit', fields: ['.metadata.labels.other'] }, D, 2_000)).to.equal(undefined);
    expect(fights.conflicted('ns/b', argo, D, 3_000)).to.equal(undefined);
  });
});

describe('FightTracker, what we want', function () {
  it('ends a backoff when what we want changes (a spec edit is applied at once)', function () {
    const fights = new FightTracker();
    fights.conflicted('ns/a', argo, D, 0);
    fights.conflicted('ns/a', argo, D, 1_000);
    expect(fights.waiting('ns/a', D, 2_000)).to.not.equal(undefined);
    expect(fights.waiting('ns/a', '{"another":"spec"}', 2_000)).to.equal(undefined);
  });

  it('forgets fights over objects it no longer applies once they are quiet', function () {
    const fights = new FightTracker();
    fights.conflicted('ns/gone', argo, D, 0);
    fights.conflicted('ns/gone', argo, D, 1_000);
    fights.conflicted('ns/other', argo, D, 1_000 + QUIET_MS);
    expect(fights.settled('ns/gone', 1_000 + QUIET_MS)).to.equal(undefined);
    expect(fights.waiting('ns/gone', D, 1_000 + QUIET_MS)).to.equal(undefined);
  });
});

describe('fieldConflicts', function () {
  it('reads the managers and fields of a server-side apply conflict', function () {
    expect(fieldConflicts([
      { reason: 'FieldManagerConflict', message: 'conflict with "argocd-controller"', field: '.metadata.labels.b' },
      { reason: 'FieldManagerConflict', message: 'conflict with "argocd-controller"', field: '.metadata.labels.a' },
      { reason: 'FieldValueInvalid', message: 'other', field: '.spec' },
    ])).to.deep.equal([{ manager: 'argocd-controller', fields: ['.metadata.labels.a', '.metadata.labels.b'] }]);
  });
});
