import { expect } from 'chai';
import type { KeyRotationScheduleSpec } from '../../../src/api/keyrotationschedule.ts';
import type { Entry } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import {
  advanceMigration, GATE_TIMEOUT_MS, migrationPhase, nextStep, resumeFrom, ROTATE_NOW_ANNOTATION, rotationDue,
  type Migration, type Observed, type Rotation, type Status,
} from '../../../src/controllers/keyrotationschedule/plan.ts';

const spec: KeyRotationScheduleSpec = {
  schedule: '@weekly', provider: 'aescbc', resources: ['secrets', 'configmaps'], keyStore: { namespace: 'palisade-system' },
  delivery: { type: 'File', path: '/enc.yaml' }, retainPreviousKeys: 1,
};
const now = new Date('2026-11-22T12:00:00Z');
const key = (name: string): Entry => ({ provider: 'aescbc', name, secret: `material-of-${name}` });
const identity: Entry = { provider: 'identity' };
const rotation = (extra: Partial<Rotation> = {}): Rotation => ({ key: 'krs-3', startedAt: now.toISOString(), ...extra });
type Given = Partial<Omit<Observed, 'schedule'>> & { spec?: KeyRotationScheduleSpec; status?: Status; rotateNow?: string };
const observed = ({ spec: given = spec, status = {}, rotateNow, ...overrides }: Given): Observed => ({
  schedule: {
    metadata: { name: 'krs', uid: 'uid-krs', resourceVersion: '1', annotations: rotateNow === undefined ? {} : { [ROTATE_NOW_ANNOTATION]: rotateNow } },
    spec: given, status,
  },
  now, keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }],
  entries: [key('krs-2'), key('krs-1')], allLoaded: true, newResources: false, encrypted: given.resources ?? ['secrets'], migrationPath: 'InProcess', storageMigrations: [], ...overrides,
});
const names = (entries: Entry[]) => entries.map((e) => (e.provider === 'identity' ? 'identity' : e.name));
const verified: Migration = { pass: 2, resource: 2, checked: 9, rewritten: 0, firstPassChecked: 9, firstPassRewritten: 7, startedAt: now.toISOString(), verifiedAt: now.toISOString() };

describe('KeyRotationSchedule plan', function () {
  it('starts a due rotation with a key name never used, above every Secret and the recorded high mark', function () {
    expect(nextStep(observed({}))).to.deep.equal({ do: 'idle' });
    expect(nextStep(observed({ rotateNow: '1' }))).to.deep.equal({ do: 'start', key: 'krs-3', generation: 3 });
    expect(nextStep(observed({ rotateNow: '1', status: { lastKeyGeneration: 9 } }))).to.deep.include({ key: 'krs-10', generation: 10 });
  });

  it('creates the key Secret first, with the generation its start recorded; stages it second; promotes it only once every apiserver loaded that', function () {
    const status = { rotation: rotation(), lastKeyGeneration: 3 };
    expect(nextStep(observed({ status }))).to.deep.equal({ do: 'createKey', key: 'krs-3', generation: 3 });
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const staged = nextStep(observed({ status, keys }));
    expect(staged).to.include({ do: 'writeConfig', phase: 'ReadStaged' });
    expect(names((staged as { entries: Entry[] }).entries)).to.deep.equal(['krs-2', 'krs-3', 'krs-1']);
    const second = [key('krs-2'), key('krs-3'), key('krs-1')];
    expect(nextStep(observed({ status, keys, entries: second, allLoaded: false }))).to.include({ do: 'wait', phase: 'ReadStaged' });
    const promoted = nextStep(observed({ status, keys, entries: second }));
    expect(promoted).to.include({ do: 'writeConfig', phase: 'WriteStaged' });
    expect(names((promoted as { entries: Entry[] }).entries)).to.deep.equal(['krs-3', 'krs-2', 'krs-1']);
  });

  it('turns encryption on from identity alone: the key reads first, writes after, and identity stays until the data is rewritten', function () {
    const status = { rotation: rotation() };
    const keys = [{ name: 'krs-3', generation: 3 }];
    const staged = nextStep(observed({ status, keys, entries: [] }));
    expect(names((staged as { entries: Entry[] }).entries)).to.deep.equal(['identity', 'krs-3']);
    const promoted = nextStep(observed({ status, keys, entries: [identity, key('krs-3')] }));
    expect(names((promoted as { entries: Entry[] }).entries)).to.deep.equal(['krs-3', 'identity']);
  });

  it('keeps identity, last, while a newly configured resource may still be plaintext', function () {
    const staged = nextStep(observed({ status: { rotation: rotation() }, keys: [...observed({}).keys, { name: 'krs-3', generation: 3 }], newResources: true }));
    expect(names((staged as { entries: Entry[] }).entries)).to.deep.equal(['krs-2', 'krs-3', 'krs-1', 'identity']);
  });

  it('keeps identity in the pruned config when a resource was added after the promotion: its objects may be plaintext', function () {
    const status = { rotation: rotation({ migration: verified }) };
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const pruned = nextStep(observed({ status, keys, entries: [key('krs-3'), key('krs-2'), key('krs-1')], newResources: true }));
    expect(pruned).to.include({ do: 'writeConfig', phase: 'Pruned', event: 'old keys removed from the config: krs-1' });
    expect(names((pruned as { entries: Entry[] }).entries)).to.deep.equal(['krs-3', 'krs-2', 'identity']);
    // Once the block encrypts it, it is re-encrypted before identity goes.
    const grown = observed({ status, keys, entries: [key('krs-3'), key('krs-2'), identity], encrypted: ['secrets', 'configmaps', 'widgets.example.com'] });
    expect(nextStep(grown)).to.deep.equal({ do: 'migrate' });
  });

  it('times the stage gate from the staging, not from the start of the rotation', function () {
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const longAgo = new Date(now.getTime() - GATE_TIMEOUT_MS - 1).toISOString();
    const entries = [key('krs-2'), key('krs-3'), key('krs-1')];
    expect(nextStep(observed({ status: { rotation: rotation({ startedAt: longAgo, stagedAt: now.toISOString() }) }, keys, entries, allLoaded: false }))).to.include({ do: 'wait' });
    expect(nextStep(observed({ status: { rotation: rotation({ startedAt: longAgo, stagedAt: longAgo }) }, keys, entries, allLoaded: false }))).to.include({ do: 'rollBack' });
  });

  it('after promotion: waits for every apiserver, then migrates until a pass rewrites nothing', function () {
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const entries = [key('krs-3'), key('krs-2'), key('krs-1'), identity];
    expect(nextStep(observed({ status: { rotation: rotation() }, keys, entries, allLoaded: false }))).to.include({ do: 'wait', phase: 'WriteStaged' });
    expect(nextStep(observed({ status: { rotation: rotation() }, keys, entries }))).to.deep.equal({ do: 'migrate' });
    const secondPass = rotation({ migration: { pass: 2, resource: 1, checked: 4, rewritten: 0, startedAt: now.toISOString() } });
    expect(nextStep(observed({ status: { rotation: secondPass }, keys, entries }))).to.deep.equal({ do: 'migrate' });
    const pruned = nextStep(observed({ status: { rotation: rotation({ migration: verified }) }, keys, entries }));
    expect(pruned).to.include({ do: 'writeConfig', phase: 'Pruned' });
    expect(names((pruned as { entries: Entry[] }).entries)).to.deep.equal(['krs-3', 'krs-2']);
  });

  it('deletes key Secrets only once the pruned config is loaded everywhere, then finishes', function () {
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const entries = [key('krs-3'), key('krs-2')];
    const status = { rotation: rotation({ migration: verified }) };
    expect(nextStep(observed({ status, keys, entries, allLoaded: false }))).to.include({ do: 'wait', phase: 'Pruned' });
    expect(nextStep(observed({ status, keys, entries }))).to.deep.equal({ do: 'deleteKeys', names: ['krs-1'] });
    expect(nextStep(observed({ status, keys: keys.filter((k) => k.name !== 'krs-1'), entries }))).to.deep.equal({ do: 'finish' });
  });

  it('rolls back a staged key that is not loaded everywhere in time; after promotion it only waits', function () {
    const late = rotation({ startedAt: new Date(now.getTime() - GATE_TIMEOUT_MS - 1).toISOString() });
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const rolledBack = nextStep(observed({ status: { rotation: late }, keys, entries: [key('krs-2'), key('krs-3'), key('krs-1')], allLoaded: false }));
    expect(rolledBack).to.include({ do: 'rollBack' });
    expect(names((rolledBack as { entries: Entry[] }).entries)).to.deep.equal(['krs-2', 'krs-1']);
    expect(nextStep(observed({ status: { rotation: late }, keys, entries: [key('krs-3'), key('krs-2')], allLoaded: false }))).to.include({ do: 'wait' });
  });

  it('stops, degraded, when the key Secret of a key in use is gone', function () {
    expect(nextStep(observed({ status: { rotation: rotation() }, entries: [key('krs-3'), key('krs-2')] }))).to.include({ do: 'fail', reason: 'KeySecretMissing' });
  });

  it('with kms, only re-encrypts: the plugin owns the keys, so no key, config or reload gate', function () {
    const kms = { ...spec, provider: 'kms' as const, delivery: undefined };
    expect(nextStep(observed({ spec: kms, status: { rotation: rotation() }, keys: [], entries: [] }))).to.deep.equal({ do: 'migrate' });
    expect(nextStep(observed({ spec: kms, status: { rotation: rotation({ migration: verified }) }, keys: [], entries: [] }))).to.deep.equal({ do: 'finish' });
  });

  it('is due on a manual run, on the schedule, and at once where encryption is off, but not again right after a rollback', function () {
    const due = (given: Given) => rotationDue(observed({ entries: [key('krs-1')], ...given }));
    expect(due({})).to.equal(false);
    expect(due({ status: { lastRotateNow: '1' }, rotateNow: '2' })).to.equal(true);
    expect(due({ status: { lastRotateNow: '2' }, rotateNow: '2' })).to.equal(false);
    expect(due({ status: { nextRotationTime: '2026-11-22T11:00:00Z' } })).to.equal(true);
    expect(due({ status: { nextRotationTime: '2026-11-22T13:00:00Z' } })).to.equal(false);
    expect(due({ entries: [identity] })).to.equal(true);
    expect(due({ newResources: true })).to.equal(true);
    expect(due({ entries: [identity], status: { lastRollbackTime: '2026-11-22T11:00:00Z' } })).to.equal(false);
    expect(due({ entries: [identity], status: { lastRollbackTime: '2026-11-20T11:00:00Z', lastRotationTime: '2026-11-21T11:00:00Z' } })).to.equal(true);
    expect(due({ entries: [identity], spec: { ...spec, suspend: true } })).to.equal(false);
  });

  it('checkpoints a migration page by page, resource by resource, pass by pass, counting what each pass checked and rewrote', function () {
    let migration = advanceMigration(undefined, { checked: 100, rewritten: 5, continue: 'page-2' }, 2, now);
    expect(migration).to.include({ pass: 1, resource: 0, checked: 100, rewritten: 5, continue: 'page-2' });
    migration = advanceMigration(migration, { checked: 30, rewritten: 3 }, 2, now);
    expect(migration).to.include({ pass: 1, resource: 1, checked: 130, rewritten: 8 });
    expect(migration.continue).to.equal(undefined);
    migration = advanceMigration(migration, { checked: 2, rewritten: 1 }, 2, now);
    expect(migration).to.include({ pass: 2, resource: 0, checked: 0, rewritten: 0, firstPassChecked: 132, firstPassRewritten: 9 });
    migration = advanceMigration(advanceMigration(migration, { checked: 130, rewritten: 0 }, 2, now), { checked: 2, rewritten: 0 }, 2, now);
    expect(migration).to.include({ pass: 2, resource: 2, checked: 132, rewritten: 0, firstPassChecked: 132, firstPassRewritten: 9, verifiedAt: now.toISOString() });
  });

  it('a pass that rewrote something is followed by another; only one that rewrote nothing verifies', function () {
    const second = advanceMigration(undefined, { checked: 3, rewritten: 3 }, 1, now);
    const third = advanceMigration(second, { checked: 3, rewritten: 1 }, 1, now);
    expect(third).to.include({ pass: 3, firstPassChecked: 3, firstPassRewritten: 3 });
    expect(third.verifiedAt).to.equal(undefined);
    expect(advanceMigration(third, { checked: 3, rewritten: 0 }, 1, now)).to.include({ verifiedAt: now.toISOString() });
  });

  it('resumed after a crash mid-page, counts each object once: the page is read again and what it had rewritten is found under the new key', function () {
    // 250 objects in 3 pages. The operator rewrote page 1 (recorded), then 40 objects of page 2, and was killed.
    const recorded = advanceMigration(undefined, { checked: 100, rewritten: 100, continue: 'page-2' }, 1, now);
    // Its successor resumes from the checkpoint: page 2 again, where 40 objects are already under the new key.
    let migration = advanceMigration(recorded, { checked: 100, rewritten: 60, continue: 'page-3' }, 1, now);
    migration = advanceMigration(migration, { checked: 50, rewritten: 50 }, 1, now);
    expect(migration).to.include({ pass: 2, firstPassChecked: 250, firstPassRewritten: 210 });
  });

  it('starts the pass over, its count of objects checked from 0, when the list token expired or spec.resources shrank under the checkpoint', function () {
    const midway: Migration = { pass: 1, resource: 1, continue: 'page-5', checked: 480, rewritten: 300, startedAt: now.toISOString() };
    const expired = advanceMigration(midway, { expired: true }, 2, now);
    expect(expired).to.include({ pass: 1, resource: 0, checked: 0, rewritten: 300 });
    expect(expired.continue).to.equal(undefined);
    expect(resumeFrom(midway, 2)).to.equal(midway);
    expect(resumeFrom(midway, 1)).to.include({ resource: 0, checked: 0, rewritten: 300 });
    expect(resumeFrom(midway, 1)?.continue).to.equal(undefined);
    expect(resumeFrom(undefined, 1)).to.equal(undefined);
  });

  it('names the phase of a migration by its pass: the first re-encrypts, every later one verifies', function () {
    expect(migrationPhase(undefined)).to.equal('Migrating');
    expect(migrationPhase({ pass: 1, resource: 0, checked: 100, rewritten: 100, startedAt: now.toISOString(), continue: 'p' })).to.equal('Migrating');
    expect(migrationPhase(verified)).to.equal('Verified');
  });
});
