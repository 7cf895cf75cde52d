import { expect } from 'chai';
import type { KeyRotationScheduleSpec } from '../../../src/api/keyrotationschedule.ts';
import { nextStep, reEncrypted, type Observed, type Rotation } from '../../../src/controllers/keyrotationschedule/plan.ts';
import {
  MIGRATION_KEY_ANNOTATION, MIGRATION_PICKUP_MS, MIGRATION_RETRY_MS, migrationName, storageMigrationFor, storageMigrations,
  storageMigrationSeconds, type StorageMigrationObject,
} from '../../../src/controllers/keyrotationschedule/storage-migration.ts';
import { groupResource, type Entry } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';
import type { Condition } from '../../../src/runtime/conditions.ts';

const spec: KeyRotationScheduleSpec = {
  schedule: '@weekly', provider: 'aescbc', resources: ['secrets', 'widgets.example.com'], keyStore: { namespace: 'palisade-system' },
  delivery: { type: 'File', path: '/enc.yaml' }, retainPreviousKeys: 1,
};
const now = new Date('2026-11-22T12:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
const key = (name: string): Entry => ({ provider: 'aescbc', name, secret: `material-of-${name}` });
const promoted: Rotation = { key: 'krs-3', startedAt: at(-600), writeKeyRevision: '500' };

/** A schedule whose key krs-3 encrypts writes on every apiserver: what it does next is the migration's. */
const observed = (rotation: Rotation, migrations: StorageMigrationObject[] = [], overrides: Partial<Observed> = {}): Observed => ({
  schedule: { metadata: { name: 'krs', uid: 'uid-krs', resourceVersion: '1' }, spec, status: { rotation, lastKeyGeneration: 3 } },
  now, keys: [{ name: 'krs-2', generation: 2 }, { name: 'krs-3', generation: 3 }], entries: [key('krs-3'), key('krs-2')], allLoaded: true,
  newResources: false, encrypted: spec.resources!, migrationPath: 'StorageVersionMigration', storageMigrations: migrations, revision: '510', ...overrides,
});

type State = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
/** A migration as kube-controller-manager leaves it. */
function migration(resource: string, state: State, options: { snapshot?: string; key?: string; finished?: string; message?: string } = {}): StorageMigrationObject {
  const condition = (type: string, status: 'True' | 'False', time: string, message = '') => ({ type, status, reason: type, message, lastTransitionTime: time });
  const conditions: Record<State, Condition[]> = {
    Pending: [],
    Running: [condition('Running', 'True', at(-50))],
    Succeeded: [condition('Running', 'False', options.finished ?? at(-10)), condition('Succeeded', 'True', options.finished ?? at(-10))],
    Failed: [condition('Running', 'False', options.finished ?? at(-10)), condition('Failed', 'True', options.finished ?? at(-10), options.message ?? 'etcdserver: request timed out')],
  };
  return {
    ...storageMigrationFor(observed(promoted).schedule, resource, options.key ?? 'krs-3'),
    metadata: { ...storageMigrationFor(observed(promoted).schedule, resource, options.key ?? 'krs-3').metadata, uid: `uid-${resource}`, resourceVersion: '600', creationTimestamp: at(-60) },
    status: { conditions: conditions[state], ...(state === 'Pending' ? {} : { resourceVersion: options.snapshot ?? '520' }) },
  };
}
const both = (state: State, options = {}) => [migration('secrets', state, options), migration('widgets.example.com', state, options)];

describe('KeyRotationSchedule storage version migration', function () {
  it('names one migration per resource, stable and valid, for the resource\'s group, owned by the schedule and marked with the key', function () {
    expect(migrationName('krs', 'secrets')).to.equal('krs-secrets');
    expect(migrationName('a'.repeat(250), 'widgets.example.com')).to.have.length.at.most(253).and.match(/^a+-[0-9a-f]{10}$/);
    expect(groupResource('widgets.example.com')).to.deep.equal({ group: 'example.com', resource: 'widgets' });
    expect(groupResource('secrets')).to.deep.equal({ group: '', resource: 'secrets' });
    const made = storageMigrationFor(observed(promoted).schedule, 'widgets.example.com', 'krs-3');
    expect(made.spec).to.deep.equal({ resource: { group: 'example.com', resource: 'widgets' } });
    expect(made.metadata.annotations).to.deep.equal({ [MIGRATION_KEY_ANNOTATION]: 'krs-3' });
    expect(made.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', name: 'krs', uid: 'uid-krs', controller: true }]);
  });

  it('first records the resourceVersion read after the promotion, then makes the migrations, then waits for them', function () {
    expect(nextStep(observed({ key: 'krs-3', startedAt: at(-600) }))).to.deep.equal({ do: 'recordRevision', revision: '510' });
    expect(nextStep(observed(promoted))).to.deep.equal({ do: 'createMigrations', resources: ['secrets', 'widgets.example.com'] });
    expect(nextStep(observed(promoted, [migration('secrets', 'Running')]))).to.deep.equal({ do: 'createMigrations', resources: ['widgets.example.com'] });
    expect(nextStep(observed(promoted, both('Running')))).to.deep.equal({ do: 'wait', phase: 'Migrating', gate: 'StorageVersionMigration krs-secrets of secrets to succeed' });
  });

  it('is verified when every migration succeeded from a resourceVersion not below the promotion\'s; then prunes, deletes the migrations and ends', function () {
    expect(reEncrypted(observed(promoted, both('Succeeded')))).to.equal(true);
    expect(nextStep(observed(promoted, both('Succeeded'), { entries: [key('krs-3'), key('krs-2'), key('krs-1')] }))).to.include({ do: 'writeConfig', phase: 'Pruned' });
    // Pruned: the migrations go, then the rotation ends.
    expect(nextStep(observed(promoted, both('Succeeded')))).to.deep.equal({ do: 'deleteMigrations', names: ['krs-secrets', 'krs-widgets.example.com'], why: 'done' });
    const records = storageMigrations(observed(promoted, both('Succeeded')), spec.resources!);
    expect(nextStep(observed({ ...promoted, storageVersionMigrations: records }))).to.deep.equal({ do: 'finish' });
    expect(reEncrypted(observed(promoted, both('Succeeded', { snapshot: '500' }))), 'the same revision').to.equal(true);
    expect(reEncrypted(observed(promoted, [migration('secrets', 'Succeeded')]))).to.equal(false);
  });

  it('proves nothing with a migration made for another key (it is made anew), or from a snapshot before the promotion (it says so, and keeps the keys)', function () {
    const early = [migration('secrets', 'Succeeded', { snapshot: '499' }), migration('widgets.example.com', 'Succeeded')];
    expect(reEncrypted(observed(promoted, early))).to.equal(false);
    const step = nextStep(observed(promoted, early));
    expect(step).to.include({ do: 'fail', reason: 'MigrationUnproven' });
    expect((step as { message: string }).message).to.include('krs-secrets of secrets succeeded from resourceVersion 499, which is not at or after 500');
    const otherKey = [migration('secrets', 'Succeeded', { key: 'krs-2' }), migration('widgets.example.com', 'Succeeded')];
    expect(reEncrypted(observed(promoted, otherKey))).to.equal(false);
    expect(nextStep(observed(promoted, otherKey))).to.deep.equal({ do: 'deleteMigrations', names: ['krs-secrets'], why: 'stale' });
    const unreadable = [migration('secrets', 'Succeeded', { snapshot: 'opaque' }), migration('widgets.example.com', 'Succeeded')];
    expect(nextStep(observed(promoted, unreadable))).to.include({ do: 'fail', reason: 'MigrationUnproven' });
  });

  it('keeps a succeeded migration\'s record once the cluster has forgotten it, and only a proven one', function () {
    const records = storageMigrations(observed(promoted, both('Succeeded')), spec.resources!);
    const recorded = { ...promoted, storageVersionMigrations: records };
    expect(reEncrypted(observed(recorded, []))).to.equal(true);
    const running = { ...promoted, storageVersionMigrations: storageMigrations(observed(promoted, both('Running')), spec.resources!) };
    expect(nextStep(observed(running, []))).to.deep.equal({ do: 'createMigrations', resources: ['secrets', 'widgets.example.com'] });
  });

  it('reports a failed migration, keeps the old keys, and makes it anew after the retry delay', function () {
    const failed = [migration('secrets', 'Failed', { finished: at(-60) }), migration('widgets.example.com', 'Succeeded')];
    const step = nextStep(observed(promoted, failed));
    expect(step).to.include({ do: 'fail', phase: 'Migrating', reason: 'MigrationFailed' });
    expect((step as { message: string }).message).to.include('krs-secrets of secrets failed: etcdserver: request timed out').and.include(at(-60 + MIGRATION_RETRY_MS / 1000).slice(0, 19));
    const later = [migration('secrets', 'Failed', { finished: at(-MIGRATION_RETRY_MS / 1000) }), migration('widgets.example.com', 'Succeeded')];
    expect(nextStep(observed(promoted, later))).to.deep.equal({ do: 'deleteMigrations', names: ['krs-secrets'], why: 'retry' });
    // A failure with no time to it is timed from the migration's creation.
    const untimed = migration('secrets', 'Failed');
    untimed.status!.conditions = untimed.status!.conditions!.map(({ lastTransitionTime: _, ...rest }) => rest as Condition);
    const clockAt = (seconds: number) => ({ now: new Date(now.getTime() + seconds * 1000) });
    expect(nextStep(observed(promoted, [untimed, migration('widgets.example.com', 'Succeeded')], clockAt(-60 + MIGRATION_RETRY_MS / 1000)))).to.include({ do: 'deleteMigrations', why: 'retry' });
  });

  it('says in the gate when kube-controller-manager has not started a migration for a while', function () {
    const pending = both('Pending');
    expect(nextStep(observed(promoted, pending))).to.deep.include({ gate: 'StorageVersionMigration krs-secrets of secrets to succeed' });
    const late = observed(promoted, pending, { now: new Date(now.getTime() + MIGRATION_PICKUP_MS) });
    expect((nextStep(late) as { gate: string }).gate).to.include('not started after 3 minutes').and.include('storage-version-migrator-controller');
  });

  it('migrates every resource the config\'s block encrypts, also one no longer in spec.resources (its data stays under these keys)', function () {
    const encrypted = [...spec.resources!, 'configmaps'];
    expect(nextStep(observed(promoted, both('Running'), { encrypted }))).to.deep.equal({ do: 'createMigrations', resources: ['configmaps'] });
    expect(reEncrypted(observed(promoted, both('Succeeded'), { encrypted }))).to.equal(false);
  });

  it('with kms, records the revision when re-encryption begins and migrates the same way: no config or reload gate', function () {
    const kms = { ...spec, provider: 'kms' as const, delivery: undefined };
    const of = (rotation: Rotation, migrations: StorageMigrationObject[] = []) => {
      const world = observed(rotation, migrations, { keys: [], entries: [] });
      return { ...world, schedule: { ...world.schedule, spec: kms } };
    };
    expect(nextStep(of({ key: 'krs-3', startedAt: at(-600) }))).to.deep.equal({ do: 'recordRevision', revision: '510' });
    expect(nextStep(of(promoted))).to.deep.equal({ do: 'createMigrations', resources: ['secrets', 'widgets.example.com'] });
    expect(nextStep(of(promoted, both('Succeeded')))).to.deep.equal({ do: 'deleteMigrations', names: ['krs-secrets', 'krs-widgets.example.com'], why: 'done' });
  });

  it('deletes a migration of a resource no longer configured', function () {
    const extra = [...both('Running'), migration('configmaps', 'Running')];
    expect(nextStep(observed(promoted, extra))).to.deep.equal({ do: 'deleteMigrations', names: ['krs-configmaps'], why: 'stale' });
  });

  it('records each resource\'s state, snapshot and times, and how long the migrations took', function () {
    const records = storageMigrations(observed(promoted, [migration('secrets', 'Succeeded', { finished: at(-5) }), migration('widgets.example.com', 'Running')]), spec.resources!);
    expect(records).to.deep.equal([
      { resource: 'secrets', name: 'krs-secrets', state: 'Succeeded', resourceVersion: '520', createdAt: at(-60), finishedAt: at(-5) },
      { resource: 'widgets.example.com', name: 'krs-widgets.example.com', state: 'Running', resourceVersion: '520', createdAt: at(-60), startedAt: at(-50) },
    ]);
    expect(storageMigrationSeconds(records)).to.equal(55);
  });
});
