import { expect } from 'chai';
import type { KeyRotationScheduleSpec } from '../../../src/api/keyrotationschedule.ts';
import { afterPage, decide, failed, refusal, refused, requeueAfter, type EventNote, type Surroundings } from '../../../src/controllers/keyrotationschedule/decide.ts';
import type { Entry } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import {
  migrationVerified, ROTATE_NOW_ANNOTATION, type Observed, type Page, type Schedule, type Status, type Step,
} from '../../../src/controllers/keyrotationschedule/plan.ts';
import { storageMigrationFor, type StorageMigrationObject } from '../../../src/controllers/keyrotationschedule/storage-migration.ts';

const spec: KeyRotationScheduleSpec = {
  schedule: '0 3 * * 0', provider: 'aescbc', resources: ['secrets'], keyStore: { namespace: 'palisade-keys' },
  delivery: { type: 'File', path: '/enc.yaml' }, retainPreviousKeys: 0,
};
const now = new Date('2026-11-22T12:00:00Z');
const created = '2026-11-01T00:00:00Z';
const key = (name: string): Entry => ({ provider: 'aescbc', name, secret: `material-of-${name}` });
const schedule = (status: Status = {}, overrides: { spec?: KeyRotationScheduleSpec; name?: string; created?: string; rotateNow?: string } = {}): Schedule => ({
  metadata: {
    name: overrides.name ?? 'krs', uid: 'uid', resourceVersion: '1', generation: 4, creationTimestamp: overrides.created ?? created,
    annotations: overrides.rotateNow ? { [ROTATE_NOW_ANNOTATION]: overrides.rotateNow } : {},
  },
  spec: overrides.spec ?? spec, status,
});
const observed = (status: Status, overrides: Partial<Omit<Observed, 'schedule'>> = {}): Observed => ({
  schedule: schedule(status, { rotateNow: '1' }), now, keys: [{ name: 'krs-1', generation: 1 }], entries: [key('krs-1')], allLoaded: true, newResources: false, encrypted: ['secrets'], migrationPath: 'InProcess', storageMigrations: [], ...overrides,
});
const condition = (status: Status, type: string) => status.conditions?.find((c) => c.type === type);
const namespace = { metadata: { name: 'palisade-keys', uid: 'ns', resourceVersion: '1' } };
const around = (overrides: Partial<Surroundings> = {}): Surroundings => ({ keyStoreNamespace: namespace, schedules: [], image: 'palisade:1', ...overrides });

/** The statuses a migrate step writes, one a second, for the pages it is given, until a pass rewrote nothing. */
function migrated(world: Observed, status: Status, pages: Page[]): Status[] {
  const written: Status[] = [];
  for (const [second, page] of pages.entries()) {
    if (migrationVerified(status.rotation?.migration, 1)) break;
    status = afterPage({ ...world, now: new Date(world.now.getTime() + second * 1000) }, status, status.rotation?.migration, page);
    written.push(status);
  }
  return written;
}

/**
 * A rotation from end to end, as the controller would run it against a cluster that does what each
 * step asks (apiservers load a new file while a pass waits): each pass's step, Events, and every
 * status it writes.
 */
function rotation(pages: Page[], world = observed({})): { step: Step; events: EventNote[]; statuses: Status[] }[] {
  const passes: { step: Step; events: EventNote[]; statuses: Status[] }[] = [];
  while (passes.at(-1)?.step.do !== 'idle') {
    const { step, status, events } = decide(world);
    const statuses = step.do === 'migrate' ? migrated(world, status, pages) : [status];
    passes.push({ step, events, statuses });
    if (step.do === 'createKey') world.keys = [...world.keys, { name: step.key, generation: step.generation }];
    if (step.do === 'writeConfig') world.entries = step.entries.map((entry) => (entry.provider === 'identity' ? entry : key(entry.name)));
    if (step.do === 'deleteKeys') world.keys = world.keys.filter((k) => !step.names.includes(k.name));
    // kube-controller-manager migrates at once, from a revision after the promotion's.
    if (step.do === 'createMigrations') world.storageMigrations = step.resources.map((resource) => succeeded(world.schedule, resource, status.rotation!.key));
    if (step.do === 'deleteMigrations') world.storageMigrations = world.storageMigrations.filter((m) => !step.names.includes(m.metadata.name));
    world.allLoaded = step.do !== 'writeConfig';
    world.schedule = { ...world.schedule, status: statuses.at(-1) };
  }
  return passes;
}
function succeeded(of: Schedule, resource: string, key: string): StorageMigrationObject {
  const made = storageMigrationFor(of, resource, key);
  const done = { status: 'True' as const, reason: 'StorageVersionMigrationSucceeded', message: 'Migration completed', lastTransitionTime: '2026-11-22T12:00:04Z' };
  return {
    ...made, metadata: { ...made.metadata, uid: 'svm', resourceVersion: '530', creationTimestamp: '2026-11-22T12:00:01Z' },
    status: { resourceVersion: '520', conditions: [{ ...done, type: 'Running', status: 'False' as const }, { ...done, type: 'Succeeded' }] },
  };
}
const written = (passes: ReturnType<typeof rotation>) => passes.flatMap(({ step, statuses }) => statuses.map((status) => ({ step: step.do, status })));

const firstPass: Page[] = [{ checked: 100, rewritten: 100, continue: 'page-2' }, { checked: 50, rewritten: 50 }];
const secondPass: Page[] = [{ checked: 100, rewritten: 0, continue: 'page-2' }, { checked: 50, rewritten: 0 }];

describe('KeyRotationSchedule decide', function () {
  it('reports as its phase the step under way in every pass, every migration checkpoint included', function () {
    const phases = written(rotation([...firstPass, ...secondPass])).map(({ step, status }) => `${step}:${status.phase}`);
    expect(phases).to.deep.equal([
      'start:KeyCreated', 'createKey:KeyCreated',
      'writeConfig:ReadStaged', 'wait:ReadStaged',
      'writeConfig:WriteStaged', 'wait:WriteStaged',
      'migrate:Migrating', 'migrate:Verified', 'migrate:Verified', 'migrate:Verified',
      'writeConfig:Pruned', 'wait:Pruned', 'deleteKeys:Pruned', 'finish:Pruned',
      'idle:Pruned',
    ]);
  });

  it('while it re-encrypts, says so in every checkpoint it writes, not what the pass before waited for', function () {
    const promoted = { ...observed({}), keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }], entries: [key('krs-2'), key('krs-1')] };
    const waited = decide({ ...promoted, allLoaded: false, schedule: schedule({ rotation: { key: 'krs-2', startedAt: created }, lastKeyGeneration: 2 }) });
    expect(waited.status).to.include({ phase: 'WriteStaged' });
    const { step, status } = decide({ ...promoted, schedule: schedule(waited.status) });
    expect(step).to.deep.equal({ do: 'migrate' });
    const [checkpoint] = migrated(promoted, status, firstPass);
    expect(checkpoint).to.include({ phase: 'Migrating' });
    expect(condition(checkpoint!, 'Rotating')).to.include({ status: 'True', reason: 'Migrating', message: 'rotating in key krs-2' });
    expect(checkpoint!.rotation?.migration).to.include({ pass: 1, checked: 100, rewritten: 100, continue: 'page-2' });
  });

  it('after a restart mid-migration, reports Migrating again, whatever phase the killed pass left', function () {
    const checkpoint = { pass: 1, resource: 0, continue: 'page-2', checked: 100, rewritten: 100, startedAt: created };
    const left = { phase: 'WriteStaged' as const, rotation: { key: 'krs-2', startedAt: created, migration: checkpoint }, lastKeyGeneration: 2 };
    const resumed = decide({ ...observed({}), schedule: schedule(left), keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }], entries: [key('krs-2'), key('krs-1')] });
    expect(resumed.step).to.deep.equal({ do: 'migrate' });
    expect(resumed.status).to.include({ phase: 'Migrating' });
    expect(condition(resumed.status, 'Rotating')).to.include({ reason: 'Migrating' });
  });

  it('records in lastMigration what the first pass checked and rewrote, and how long until a pass rewrote nothing', function () {
    const last = written(rotation([...firstPass, ...secondPass])).find(({ step }) => step === 'finish')!.status;
    expect(last.lastMigration).to.deep.equal({ path: 'InProcess', objectsChecked: 150, objectsRewritten: 150, durationSeconds: 3 });
    expect(last.rotation).to.equal(undefined);
    expect(last).to.include({ lastRotationTime: now.toISOString(), currentKey: 'krs-2' });
    expect(last.previousKeys).to.deep.equal([]);
  });

  it('on the built-in path: records the revision after the promotion, each migration as it goes, the path, and in lastMigration each resource\'s result', function () {
    const passes = rotation([], observed({}, { migrationPath: 'StorageVersionMigration', revision: '510' }));
    expect(written(passes).map(({ step, status }) => `${step}:${status.phase}`)).to.deep.equal([
      'start:KeyCreated', 'createKey:KeyCreated', 'writeConfig:ReadStaged', 'wait:ReadStaged', 'writeConfig:WriteStaged', 'wait:WriteStaged',
      'recordRevision:Migrating', 'createMigrations:Migrating', 'writeConfig:Pruned', 'wait:Pruned', 'deleteKeys:Pruned',
      'deleteMigrations:Pruned', 'finish:Pruned', 'idle:Pruned',
    ]);
    const made = passes.find(({ step }) => step.do === 'createMigrations')!;
    expect(made.statuses[0]!.rotation).to.deep.include({ migrationPath: 'StorageVersionMigration', writeKeyRevision: '510' });
    expect(made.events).to.deep.equal([{ type: 'Normal', reason: 'MigrationStarted', note: 're-encrypting secrets with a StorageVersionMigration each' }]);
    const cleanedUp = passes.find(({ step }) => step.do === 'deleteMigrations')!.statuses[0]!;
    expect(cleanedUp.rotation?.storageVersionMigrations).to.deep.equal([{
      resource: 'secrets', name: 'krs-secrets', state: 'Succeeded', resourceVersion: '520', createdAt: '2026-11-22T12:00:01Z', finishedAt: '2026-11-22T12:00:04Z',
    }]);
    const last = passes.find(({ step }) => step.do === 'finish')!.statuses[0]!.lastMigration;
    expect(last).to.deep.equal({ path: 'StorageVersionMigration', durationSeconds: 3, resources: cleanedUp.rotation!.storageVersionMigrations });
  });

  it('drops the migrations\' records when the cluster stops serving the API mid-rotation, and reports the path it takes now', function () {
    const passes = rotation([], observed({}, { migrationPath: 'StorageVersionMigration', revision: '510' }));
    const midway = passes.find(({ step }) => step.do === 'writeConfig' && step.phase === 'Pruned')!.statuses[0]!;
    expect(midway.rotation?.storageVersionMigrations).to.have.length(1);
    const keys = [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }];
    const { step, status } = decide({ ...observed({}, { keys, entries: [key('krs-2'), key('krs-1')] }), schedule: schedule(midway) });
    expect(step).to.deep.equal({ do: 'migrate' });
    expect(status.rotation).to.include({ migrationPath: 'InProcess' }).and.not.have.property('storageVersionMigrations');
  });

  it('begins no rotation it could not end: without the permissions of the in-process rewrite, Ready says what to install', function () {
    const refusedHere = 'storagemigration.k8s.io/v1 is not served here, so ... install config/rbac/legacy-migration';
    const { step, status, events } = decide(observed({}, { inProcessRefused: refusedHere }));
    expect(step).to.deep.equal({ do: 'fail', phase: 'Idle', reason: 'MigrationNotPermitted', message: refusedHere });
    expect(status.rotation).to.equal(undefined);
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'MigrationNotPermitted', message: refusedHere });
    expect(events).to.deep.equal([{ type: 'Warning', reason: 'MigrationNotPermitted', note: refusedHere }]);
  });

  it('summarizes the keys the config holds, and the next rotation after the last one, rollback or creation', function () {
    const idle = decide(observed({ lastRotateNow: '1', lastRotationTime: '2026-11-20T00:00:00Z', nextRotationTime: '2026-11-22T13:00:00Z' }, { entries: [key('krs-2'), key('krs-1'), { provider: 'identity' }] }));
    expect(idle.step).to.deep.equal({ do: 'idle' });
    expect(idle.status).to.include({ phase: 'Pruned', currentKey: 'krs-2', nextRotationTime: '2026-11-22T03:00:00.000Z' });
    expect(idle.status.previousKeys).to.deep.equal(['krs-1']);
    const sinceCreation = decide({ ...observed({}), schedule: schedule({ lastRotateNow: '1' }, { created: '2026-11-16T12:00:00Z', rotateNow: '1' }) });
    expect(sinceCreation.status).to.include({ phase: 'Idle', nextRotationTime: '2026-11-22T03:00:00.000Z' });
    const rolledBack = decide(observed({ rotation: { key: 'krs-2', startedAt: '2026-11-22T11:00:00Z', stagedAt: '2026-11-22T11:00:00Z' }, lastKeyGeneration: 2 }, {
      keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }], entries: [key('krs-1'), key('krs-2')], allLoaded: false,
    }));
    expect(rolledBack.step).to.include({ do: 'rollBack' });
    expect(rolledBack.status).to.include({ lastRollbackTime: now.toISOString(), nextRotationTime: '2026-11-29T03:00:00.000Z' });
    expect(rolledBack.status.rotation).to.equal(undefined);
  });

  it('sets the conditions at the time of the pass, and keeps a condition\'s transition time while its status holds', function () {
    const { status } = decide(observed({}));
    for (const type of ['Ready', 'Rotating', 'Degraded']) expect(condition(status, type)).to.include({ lastTransitionTime: '2026-11-22T12:00:00Z', observedGeneration: 4 });
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'Rotating', message: 'rotating in key krs-2' });
    expect(condition(status, 'Rotating')).to.include({ status: 'True', reason: 'KeyCreated' });
    expect(condition(status, 'Degraded')).to.include({ status: 'False', reason: 'AsExpected' });
    const later = decide({ ...observed({}), now: new Date('2026-11-22T12:00:07Z'), schedule: schedule(status) });
    expect(condition(later.status, 'Rotating')).to.include({ lastTransitionTime: '2026-11-22T12:00:00Z' });
    const waiting = decide(observed({ rotation: { key: 'krs-2', startedAt: created, stagedAt: now.toISOString() }, lastKeyGeneration: 2 }, {
      keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }], entries: [key('krs-1'), key('krs-2')], allLoaded: false,
    }));
    expect(condition(waiting.status, 'Rotating')).to.include({ reason: 'ReadStaged', message: 'rotating in key krs-2; waiting for every apiserver to load the new key for reading' });
    const done = written(rotation([...firstPass, ...secondPass])).at(-1)!.status;
    expect(condition(done, 'Ready')).to.include({ status: 'True', reason: 'KeysCurrent', message: 'key krs-2 encrypts writes' });
    expect(condition(done, 'Rotating')).to.include({ status: 'False', reason: 'Idle', message: 'next rotation at 2026-11-29T03:00:00.000Z' });
  });

  it('records an Event for a rotation starting, each config it writes, a rollback, a step it cannot take and the end; none while it waits or migrates', function () {
    const passes = rotation([...firstPass, ...secondPass]);
    const events = (step: Step['do']) => passes.filter((pass) => pass.step.do === step).flatMap((pass) => pass.events.map((e) => `${e.type} ${e.reason}: ${e.note}`));
    expect(events('start')).to.deep.equal(['Normal RotationStarted: rotating in key krs-2']);
    expect(events('writeConfig')).to.deep.equal([
      'Normal ReadStaged: key krs-2 staged for reading', 'Normal WriteStaged: key krs-2 promoted to encrypt writes', 'Normal Pruned: old keys removed from the config: krs-1',
    ]);
    expect(events('finish')).to.deep.equal(['Normal RotationCompleted: key krs-2 encrypts everything; old keys pruned']);
    expect([...events('createKey'), ...events('wait'), ...events('migrate'), ...events('deleteKeys'), ...events('idle')]).to.deep.equal([]);
    const stuck = { keys: [{ name: 'krs-1', generation: 1 }, { name: 'krs-2', generation: 2 }], entries: [key('krs-1'), key('krs-2')], allLoaded: false };
    const rollBack = decide(observed({ rotation: { key: 'krs-2', startedAt: '2026-11-22T11:00:00Z', stagedAt: '2026-11-22T11:00:00Z' }, lastKeyGeneration: 2 }, stuck));
    expect(rollBack.events).to.deep.equal([{ type: 'Warning', reason: 'RolledBack', note: 'key krs-2 taken out again: not every apiserver loaded the staged key within 10 minutes' }]);
    const gone = decide(observed({ rotation: { key: 'krs-2', startedAt: created }, lastKeyGeneration: 2 }, { entries: [key('krs-2'), key('krs-1')] }));
    expect(gone.events).to.deep.equal([{ type: 'Warning', reason: 'KeySecretMissing', note: 'the key Secret krs-2 is gone while the config uses it; restore it from a backup' }]);
    expect(condition(gone.status, 'Degraded')).to.include({ status: 'True', reason: 'KeySecretMissing' });
  });

  it('names keys and never their material, in status and Events', function () {
    const passes = rotation([...firstPass, ...secondPass]);
    expect(JSON.stringify(passes.map(({ events, statuses }) => ({ events, statuses })))).to.not.include('material-of');
  });

  it('looks again soon while a gate holds, at once after a step, on the watch after a status write, and at the next rotation when idle', function () {
    const status: Status = { nextRotationTime: '2026-11-22T12:30:00Z' };
    expect(requeueAfter({ do: 'wait', phase: 'ReadStaged', gate: 'x' }, status, now, true)).to.deep.equal({ requeueAfterMs: 5_000 });
    expect(requeueAfter({ do: 'fail', phase: 'KeyCreated', reason: 'r', message: 'm' }, status, now, false)).to.deep.equal({ requeueAfterMs: 5_000 });
    expect(requeueAfter({ do: 'migrate' }, status, now, true)).to.equal(undefined);
    expect(requeueAfter({ do: 'migrate' }, status, now, false)).to.deep.equal({ requeueAfterMs: 1 });
    expect(requeueAfter({ do: 'idle' }, status, now, true)).to.deep.equal({ requeueAfterMs: 30 * 60_000 });
    expect(requeueAfter({ do: 'idle' }, { nextRotationTime: '2026-11-22T11:00:00Z' }, now, false)).to.deep.equal({ requeueAfterMs: 1_000 });
    expect(requeueAfter({ do: 'idle' }, { nextRotationTime: '2026-12-22T11:00:00Z' }, now, false)).to.deep.equal({ requeueAfterMs: 3_600_000 });
  });

  it('refuses a spec it cannot act on as InvalidSpec, naming the field', function () {
    const invalid = (given: Schedule, surroundings = around()) => {
      const refused = refusal(given, surroundings, now);
      expect(refused?.reason).to.equal('InvalidSpec');
      return refused!.message;
    };
    expect(invalid(schedule({}, { spec: { ...spec, schedule: '61 * * * *' } }))).to.match(/^spec\.schedule: /);
    expect(invalid(schedule({}, { spec: { ...spec, timeZone: 'Mars/Olympus' } }))).to.match(/^spec\.timeZone: /);
    expect(invalid(schedule(), around({ keyStoreNamespace: undefined }))).to.equal('spec.keyStore.namespace: namespace palisade-keys does not exist');
    expect(invalid(schedule({}, { spec: { ...spec, resources: ['secrets', '*.example.com'] } }))).to.match(/^spec\.resources: \*\.example\.com/);
    const restricted = { metadata: { ...namespace.metadata, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } };
    const hostPathJob = { ...spec, delivery: { type: 'HostPathJob' as const, path: '/enc.yaml' } };
    expect(invalid(schedule({}, { spec: hostPathJob }), around({ keyStoreNamespace: restricted }))).to.match(/^spec\.keyStore\.namespace: .*hostPath.*"restricted"/);
    const older = schedule({}, { name: 'older', created: '2026-10-01T00:00:00Z' });
    expect(invalid(schedule(), around({ schedules: [older, schedule()] }))).to.equal('spec.delivery.path: KeyRotationSchedule older already manages /enc.yaml');
    expect(refusal(older, around({ schedules: [older, schedule()] }), now)).to.equal(undefined);
  });

  it('refuses HostPathJob without an image as the operator\'s configuration, naming the flag, not as the user\'s spec', function () {
    const hostPathJob = schedule({}, { spec: { ...spec, delivery: { type: 'HostPathJob', path: '/enc.yaml' } } });
    const why = refusal(hostPathJob, around({ image: '' }), now);
    expect(why).to.include({ reason: 'OperatorConfiguration' });
    expect(why!.message).to.include('--image').and.include('PALISADE_IMAGE');
    expect(refusal(hostPathJob, around(), now)).to.equal(undefined);
    expect(refusal(schedule(), around({ image: '' }), now)).to.equal(undefined);
    const { status, events } = refused(hostPathJob, why!, now);
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'OperatorConfiguration', message: why!.message, lastTransitionTime: '2026-11-22T12:00:00Z' });
    expect(condition(status, 'Degraded')).to.include({ status: 'True', reason: 'OperatorConfiguration' });
    expect(events).to.deep.equal([{ type: 'Warning', reason: 'OperatorConfiguration', note: why!.message }]);
    // A spec error is the user's to fix first.
    expect(refusal({ ...hostPathJob, spec: { ...hostPathJob.spec, schedule: 'never' } }, around({ image: '' }), now)).to.include({ reason: 'InvalidSpec' });
  });

  it('reports a step that failed on the status the pass had reached: a checkpoint written before the failure stays', function () {
    const checkpoint = { pass: 1, resource: 0, continue: 'page-3', checked: 200, rewritten: 200, startedAt: created };
    const reached: Status = { phase: 'Migrating', rotation: { key: 'krs-2', startedAt: created, migration: checkpoint } };
    const { status, events } = failed(schedule(), reached, 'list secrets: 503', now);
    expect(status.rotation?.migration).to.deep.equal(checkpoint);
    expect(status).to.include({ phase: 'Migrating' });
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'StepFailed', message: 'list secrets: 503' });
    expect(condition(status, 'Rotating')).to.include({ status: 'True', reason: 'Migrating' });
    expect(events).to.deep.equal([{ type: 'Warning', reason: 'StepFailed', note: 'list secrets: 503' }]);
  });
});
