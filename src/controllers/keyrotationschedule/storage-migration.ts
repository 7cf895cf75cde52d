// Re-encryption by Kubernetes itself: one StorageVersionMigration (storagemigration.k8s.io/v1) per
// resource, which kube-controller-manager carries out without the operator reading one object.
//
// What is proven before an old key goes, and by whom:
//  1. every apiserver reported loading the config with the new key first (their /metrics);
//  2. writeKeyRevision was read after that (from Secrets): whatever is written later is under the new key;
//  3. the migration's status.resourceVersion, the revision up to which it rewrites every object,
//     is not below writeKeyRevision: it covers everything written before;
//  4. the migration reports Succeeded.
// Only 4 is the migration's own word (that it wrote each object it covers); 1-3 are checked
// here, so a migration left from an earlier rotation, or made by someone else, proves nothing.
import { createHash } from 'node:crypto';
import { API_VERSION } from '../../api/crd.ts';
import { compareResourceVersions } from '../../kubernetes/resource-version.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { findCondition, type Condition } from '../../runtime/conditions.ts';
import { groupResource } from './encryption-config.ts';
import { SCHEDULE_LABEL } from './keys.ts';
import type { Observed, Rotation, Schedule, Step } from './plan.ts';

export type StorageMigration = NonNullable<Rotation['storageVersionMigrations']>[number];

export interface StorageMigrationObject extends KubeObject {
  metadata: KubeObject['metadata'] & { creationTimestamp?: string; annotations?: Record<string, string> };
  spec: { resource: { group: string; resource: string } };
  status?: { conditions?: Condition[]; resourceVersion?: string };
}

/** The key a migration was made for: one made for another key proves nothing about this one. */
export const MIGRATION_KEY_ANNOTATION = 'palisade.dev/encryption-key';
/** A failed migration is kept this long for a look, then made anew. */
export const MIGRATION_RETRY_MS = 5 * 60_000;
/** A migration kube-controller-manager has not started after this long is called out in the gate. */
export const MIGRATION_PICKUP_MS = 2 * 60_000;
const MAX_NAME = 253;

/** The stable name of a schedule's migration of one resource. */
export function migrationName(schedule: string, resource: string): string {
  const name = `${schedule}-${resource}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/[-.]+$/, '')}-${hash}`;
}

/** The migration of `resource` for the key being rotated in, owned by its schedule. */
export function storageMigrationFor(schedule: Schedule, resource: string, key: string) {
  const { name, uid } = schedule.metadata;
  return {
    apiVersion: 'storagemigration.k8s.io/v1', kind: 'StorageVersionMigration',
    metadata: {
      name: migrationName(name, resource), labels: { [SCHEDULE_LABEL]: name }, annotations: { [MIGRATION_KEY_ANNOTATION]: key },
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'KeyRotationSchedule', name, uid, controller: true }],
    },
    spec: { resource: groupResource(resource) },
  };
}

export type StorageMigrationManifest = ReturnType<typeof storageMigrationFor>;

/** Each resource's migration as the cluster shows it now, what earlier passes recorded kept where the cluster has forgotten it. */
export function storageMigrations(observed: Observed, resources: readonly string[]): StorageMigration[] {
  const rotation = observed.schedule.status?.rotation;
  if (!rotation?.writeKeyRevision) return [];
  return resources.flatMap((resource) => {
    const name = migrationName(observed.schedule.metadata.name, resource);
    const before = rotation.storageVersionMigrations?.find((m) => m.resource === resource && m.name === name);
    const object = observed.storageMigrations.find((m) => m.metadata.name === name && madeFor(m, rotation));
    if (!object) return before && proven(before, rotation) ? [before] : [];
    // What was recorded of this very object, not of a failed one it replaced under the same name.
    const ofThisObject = before && before.state !== 'Failed' && before.createdAt === object.metadata.creationTimestamp;
    return [recordOf(resource, object, ofThisObject ? before : undefined)];
  });
}

const madeFor = (object: StorageMigrationObject, rotation: Rotation) => object.metadata.annotations?.[MIGRATION_KEY_ANNOTATION] === rotation.key;

function recordOf(resource: string, object: StorageMigrationObject, before: StorageMigration | undefined): StorageMigration {
  const conditions = object.status?.conditions;
  const [running, succeeded, failed] = ['Running', 'Succeeded', 'Failed'].map((type) => findCondition(conditions, type));
  const holds = (condition: Condition | undefined): condition is Condition => condition?.status === 'True';
  const state = holds(succeeded) ? 'Succeeded' : holds(failed) ? 'Failed' : holds(running) ? 'Running' : 'Pending';
  const finished = state === 'Succeeded' ? succeeded : state === 'Failed' ? failed : undefined;
  const startedAt = before?.startedAt ?? (holds(running) ? running.lastTransitionTime : undefined);
  return {
    resource, name: object.metadata.name, state,
    ...(object.status?.resourceVersion ? { resourceVersion: object.status.resourceVersion } : {}),
    ...(object.metadata.creationTimestamp ? { createdAt: object.metadata.creationTimestamp } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(finished ? { finishedAt: finished.lastTransitionTime } : {}),
    ...(state === 'Failed' && failed?.message ? { message: failed.message.slice(0, 1024) } : {}),
  };
}

/** Succeeded, from a snapshot at or after writeKeyRevision: it covers everything written before the new key encrypted writes (3 and 4 above). */
function proven(migration: StorageMigration, rotation: Rotation): boolean {
  if (migration.state !== 'Succeeded' || !migration.resourceVersion || !rotation.writeKeyRevision) return false;
  return (compareResourceVersions(migration.resourceVersion, rotation.writeKeyRevision) ?? -1) >= 0;
}

/** Every resource's migration proven. */
export function storageMigrationsVerified(migrations: readonly StorageMigration[], rotation: Rotation, resources: readonly string[]): boolean {
  return resources.every((resource) => migrations.some((m) => m.resource === resource && proven(m, rotation)));
}

/** The one next step of the built-in migration, from the records this pass makes of it. */
export function storageMigrationStep(observed: Observed, migrations: readonly StorageMigration[], resources: readonly string[]): Step {
  const { schedule, now } = observed;
  const rotation = schedule.status!.rotation!;
  if (!rotation.writeKeyRevision) {
    if (!observed.revision) throw new Error('no resourceVersion was read after the promotion');
    return { do: 'recordRevision', revision: observed.revision };
  }
  const wanted = new Set(resources.map((resource) => migrationName(schedule.metadata.name, resource)));
  const stale = observed.storageMigrations.filter((m) => !wanted.has(m.metadata.name) || !madeFor(m, rotation)).map((m) => m.metadata.name);
  if (stale.length) return { do: 'deleteMigrations', names: stale, why: 'stale' };
  const unproven = migrations.find((m) => m.state === 'Succeeded' && !proven(m, rotation));
  if (unproven) {
    // Made for this key, so after writeKeyRevision was recorded: a snapshot below it is another counter's.
    return {
      do: 'fail', phase: 'Migrating', reason: 'MigrationUnproven',
      message: `StorageVersionMigration ${unproven.name} of ${unproven.resource} succeeded from resourceVersion ${unproven.resourceVersion}, which is not at or after ${rotation.writeKeyRevision}, `
        + 'read from Secrets when the new key encrypted writes: nothing shows it covers every object (is the resource kept in an etcd of its own by --etcd-servers-overrides?); the old keys stay',
    };
  }
  const failed = migrations.find((m) => m.state === 'Failed');
  if (failed) {
    const since = Date.parse(failed.finishedAt ?? failed.createdAt ?? now.toISOString());
    if (now.getTime() - since >= MIGRATION_RETRY_MS) return { do: 'deleteMigrations', names: [failed.name], why: 'retry' };
    const retryAt = new Date(since + MIGRATION_RETRY_MS).toISOString();
    return {
      do: 'fail', phase: 'Migrating', reason: 'MigrationFailed',
      message: `StorageVersionMigration ${failed.name} of ${failed.resource} failed: ${failed.message ?? 'no reason given'}; the old keys stay, and it is made anew at ${retryAt}`,
    };
  }
  const missing = resources.filter((resource) => !migrations.some((m) => m.resource === resource));
  if (missing.length) return { do: 'createMigrations', resources: missing };
  const waitingFor = migrations.find((m) => m.state !== 'Succeeded')!;
  return { do: 'wait', phase: 'Migrating', gate: gateOf(waitingFor, now) };
}

function gateOf(migration: StorageMigration, now: Date): string {
  const gate = `StorageVersionMigration ${migration.name} of ${migration.resource} to succeed`;
  const waited = now.getTime() - Date.parse(migration.createdAt ?? now.toISOString());
  if (migration.state !== 'Pending' || waited < MIGRATION_PICKUP_MS) return gate;
  return `${gate} (not started after ${Math.round(waited / 60_000)} minutes: is kube-controller-manager's storage-version-migrator-controller on, and is another migration of ${migration.resource} running?)`;
}

/** How long the migrations took, from the first made to the last finished. */
export function storageMigrationSeconds(migrations: readonly StorageMigration[]): number {
  const times = (pick: (m: StorageMigration) => string | undefined) => migrations.map(pick).filter((t): t is string => !!t).map(Date.parse);
  const [created, finished] = [times((m) => m.createdAt), times((m) => m.finishedAt)];
  return created.length && finished.length ? Math.max(0, Math.round((Math.max(...finished) - Math.min(...created)) / 1000)) : 0;
}
