import { expect } from 'chai';
import type { KeyRotationScheduleSpec } from '../../../src/api/keyrotationschedule.ts';
import type { Entry } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import { advanceMigration, GATE_TIMEOUT_MS, nextStep, rotationDue, type Observed, type Rotation } from '../../../src/controllers/keyrotationschedule/plan.ts';

const spec: KeyRotationScheduleSpec = {
  schedule: '@weekly', provider: 'aescbc', resources: ['secrets', 'configmaps'], keyStore: { namespace: 'palisade-system' },
  delivery: { type: 'File', path: '/enc.yaml' }, retainPreviousKeys: 1,
};
const now = new Date('2026-11-22T12:00:00Z');
const key = (name: string): Entry => ({ provider: 'aescbc', name, secret: `material-of-${name}` });
const identity: Entry = { provider: 'identity' };
const rotation = (extra: Partial<Rotation> = {}): Rotation => ({ key: 'krs-3', startedAt: now.toISOString(), ...extra });
const observed = (overrides: Partial<Observed>): Observed => ({
  name: 'krs', spec, status: {}, now, keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }],
  entries: [key('krs-2'), key('krs-1')], allLoaded: true, newResources: false, due: false, ...overrides,
});
const names = (entries: Entry[]) => entries.map((e) => (e.provider === 'identity' ? 'identity' : e.name));
const verified = { pass: 2, resource: 2, rewritten: 0, firstPassRewritten: 7, startedAt: now.toISOString() };

describe('KeyRotationSchedule plan', function () {
  it('starts a due rotation with a key name never used, above every Secret and the recorded high mark', function () {
    expect(nextStep(observed({}))).to.deep.equal({ do: 'idle' });
    expect(nextStep(observed({ due: true }))).to.deep.equal({ do: 'start', key: 'krs-3', generation: 3 });
    expect(nextStep(observed({ due: true, status: { lastKeyGeneration: 9 } }))).to.deep.include({ key: 'krs-10' });
  });

  it('creates the key Secret first; stages it second; promotes it only once every apiserver loaded that', function () {
    const status = { rotation: rotation() };
    expect(nextStep(observed({ status }))).to.deep.equal({ do: 'createKey', key: 'krs-3' });
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
    expect(nextStep(observed({ status: { rotation: rotation() }, keys, entries }))).to.deep.equal({ do: 'migrate', phase: 'Migrating' });
    const secondPass = rotation({ migration: { pass: 2, resource: 1, rewritten: 0, startedAt: now.toISOString() } });
    expect(nextStep(observed({ status: { rotation: secondPass }, keys, entries }))).to.deep.equal({ do: 'migrate', phase: 'Verified' });
    const pruned = nextStep(observed({ status: { rotation: rotation({ migration: verified }) }, keys, entries }));
    expect(pruned).to.include({ do: 'writeConfig', phase: 'Verified' });
    expect(names((pruned as { entries: Entry[] }).entries)).to.deep.equal(['krs-3', 'krs-2']);
  });

  it('deletes key Secrets only once the pruned config is loaded everywhere, then finishes', function () {
    const keys = [...observed({}).keys, { name: 'krs-3', generation: 3 }];
    const entries = [key('krs-3'), key('krs-2')];
    const status = { rotation: rotation({ migration: verified }) };
    expect(nextStep(observed({ status, keys, entries, allLoaded: false }))).to.include({ do: 'wait', phase: 'Verified' });
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
    expect(nextStep(observed({ spec: kms, status: { rotation: rotation() }, keys: [], entries: [] }))).to.deep.equal({ do: 'migrate', phase: 'Migrating' });
    expect(nextStep(observed({ spec: kms, status: { rotation: rotation({ migration: verified }) }, keys: [], entries: [] }))).to.deep.equal({ do: 'finish' });
  });

  it('is due on a manual run, on the schedule, and at once where encryption is off, but not again right after a rollback', function () {
    const on = { entries: [key('krs-1')], newResources: false, rotateNow: undefined, now };
    expect(rotationDue(spec, {}, on)).to.equal(false);
    expect(rotationDue(spec, { lastRotateNow: '1' }, { ...on, rotateNow: '2' })).to.equal(true);
    expect(rotationDue(spec, { lastRotateNow: '2' }, { ...on, rotateNow: '2' })).to.equal(false);
    expect(rotationDue(spec, { nextRotationTime: '2026-11-22T11:00:00Z' }, on)).to.equal(true);
    expect(rotationDue(spec, { nextRotationTime: '2026-11-22T13:00:00Z' }, on)).to.equal(false);
    const off = { ...on, entries: [identity] };
    expect(rotationDue(spec, {}, off)).to.equal(true);
    expect(rotationDue(spec, {}, { ...on, newResources: true })).to.equal(true);
    expect(rotationDue(spec, { lastRollbackTime: '2026-11-22T11:00:00Z' }, off)).to.equal(false);
    expect(rotationDue(spec, { lastRollbackTime: '2026-11-20T11:00:00Z', lastRotationTime: '2026-11-21T11:00:00Z' }, off)).to.equal(true);
    expect(rotationDue({ ...spec, suspend: true }, {}, off)).to.equal(false);
  });

  it('checkpoints a migration page by page, resource by resource, pass by pass', function () {
    let migration = advanceMigration(undefined, { rewritten: 5, continue: 'page-2' }, 2, now);
    expect(migration).to.include({ pass: 1, resource: 0, rewritten: 5, continue: 'page-2' });
    migration = advanceMigration(migration, { rewritten: 3 }, 2, now);
    expect(migration).to.include({ pass: 1, resource: 1, rewritten: 8 });
    expect(migration.continue).to.equal(undefined);
    migration = advanceMigration(migration, { rewritten: 1 }, 2, now);
    expect(migration).to.include({ pass: 2, resource: 0, rewritten: 0, firstPassRewritten: 9 });
    migration = advanceMigration(advanceMigration(migration, { rewritten: 0 }, 2, now), { rewritten: 0 }, 2, now);
    expect(migration).to.include({ pass: 2, resource: 2, rewritten: 0, verifiedAt: now.toISOString() });
  });
});
