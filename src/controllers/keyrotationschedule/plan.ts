// The rotation's state machine, re-derived on every pass from what is real: the key Secrets, the
// config file read back, which config each apiserver reports loaded, and the schedule's
// StorageVersionMigrations. Status holds only the write-ahead record (which key is being rotated
// in, the revision after which it encrypted writes) and the migration checkpoint. One step per
// pass; no gate is skipped, and before the new key encrypts anything a failure takes it back out.
import type { KeyRotationScheduleSpec, KeyRotationScheduleStatus, MIGRATION_PATHS, PHASES } from '../../api/keyrotationschedule.ts';
import type { KubeObject } from '../../runtime/client.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { entryName, type Entry, type KeyProvider } from './encryption-config.ts';
import { storageMigrations, storageMigrationStep, storageMigrationsVerified, type StorageMigrationObject } from './storage-migration.ts';

export type Phase = (typeof PHASES)[number];
export type MigrationPath = (typeof MIGRATION_PATHS)[number];
export type Status = KeyRotationScheduleStatus & { conditions?: Condition[] };
export type Rotation = NonNullable<Status['rotation']>;
export type Migration = NonNullable<Rotation['migration']>;
export type Schedule = KubeObject & { metadata: { generation?: number; creationTimestamp?: string }; spec: KeyRotationScheduleSpec; status?: Status };

export const ROTATE_NOW_ANNOTATION = 'palisade.dev/rotate-now';
/** A stage not observed by every apiserver after this long is given up: before promotion, rolled back. */
export const GATE_TIMEOUT_MS = 10 * 60_000;

export interface Observed {
  schedule: Schedule;
  /** The time of the pass. */
  now: Date;
  /** The key Secrets of this schedule: name and generation. */
  keys: { name: string; generation: number }[];
  /** The file's entries for the first configured resource. */
  entries: Entry[];
  /** Every apiserver has loaded the file as it is now. */
  allLoaded: boolean;
  /** spec.resources names a resource the file does not encrypt yet: identity must stay to read it. */
  newResources: boolean;
  /**
   * What the schedule's block of the config encrypts now (with kms: spec.resources), also any
   * resource no longer in spec.resources: its data stays under these keys. Re-encryption covers
   * these; a resource added to spec.resources joins once a config write puts it in the block.
   */
  encrypted: string[];
  /** How this cluster re-encrypts: StorageVersionMigration where storagemigration.k8s.io/v1 is served. */
  migrationPath: MigrationPath;
  /** InProcess: the permission the operator lacks to rewrite the resources itself, in words; undefined when it has them. */
  inProcessRefused?: string;
  /** The StorageVersionMigrations labelled with this schedule. */
  storageMigrations: StorageMigrationObject[];
  /** While a rotation is under way: a resourceVersion read in this pass, after what the apiservers loaded. */
  revision?: string;
}

export type Step =
  | { do: 'idle' }
  | { do: 'start'; key: string; generation: number }
  | { do: 'createKey'; key: string; generation: number }
  | { do: 'writeConfig'; entries: Entry[]; phase: Phase; event: string }
  | { do: 'wait'; phase: Phase; gate: string }
  | { do: 'migrate' }
  | { do: 'recordRevision'; revision: string }
  | { do: 'createMigrations'; resources: string[] }
  | { do: 'deleteMigrations'; names: string[]; why: 'stale' | 'retry' | 'done' }
  | { do: 'deleteKeys'; names: string[] }
  | { do: 'finish' }
  | { do: 'rollBack'; entries: Entry[]; reason: string }
  | { do: 'fail'; phase: Phase; reason: string; message: string };

/** One page of the re-encryption: how many objects it read and wrote back, how many of those the apiserver stored anew. */
export type Page = { checked: number; rewritten: number; continue?: string } | { expired: true };

export const keyName = (schedule: string, generation: number) => `${schedule}-${generation}`;
export const resourcesOf = (spec: KeyRotationScheduleSpec) => spec.resources ?? ['secrets'];
const IDENTITY: Entry = { provider: 'identity' };

/**
 * Whether to start a rotation: on a manual run, on the schedule, or at once where encryption is not
 * on (for a resource) yet, unless the last attempt was taken back: then not in a loop.
 */
export function rotationDue({ schedule, entries, newResources, now }: Observed): boolean {
  const { spec, status = {} } = schedule;
  if (spec.suspend) return false;
  const encryptionOff = spec.provider !== 'kms' && !entries.some((entry) => entry.provider !== 'identity');
  const lastAttemptRolledBack = !!status.lastRollbackTime && status.lastRollbackTime > (status.lastRotationTime ?? '');
  const rotateNow = schedule.metadata.annotations?.[ROTATE_NOW_ANNOTATION];
  const manual = rotateNow !== undefined && rotateNow !== status.lastRotateNow;
  const scheduled = !!status.nextRotationTime && now >= new Date(status.nextRotationTime);
  return ((encryptionOff || newResources) && !lastAttemptRolledBack) || manual || scheduled;
}

export function nextStep(observed: Observed): Step {
  const { spec, status = {} } = observed.schedule;
  const rotation = status.rotation;
  if (!rotation) {
    if (!rotationDue(observed)) return { do: 'idle' };
    // A rotation that could not re-encrypt would end with two keys in use and no way to prune: not begun.
    if (observed.inProcessRefused) return notPermitted(observed.inProcessRefused, restingPhase(status));
    const highest = Math.max(status.lastKeyGeneration ?? 0, ...observed.keys.map((key) => key.generation));
    return { do: 'start', key: keyName(observed.schedule.metadata.name, highest + 1), generation: highest + 1 };
  }
  const verified = reEncrypted(observed);
  if (spec.provider === 'kms') return verified ? finishing(observed) : migrateStep(observed);

  const { entries } = observed;
  const position = entries.findIndex((entry) => entryName(entry) === rotation.key);
  const secretExists = observed.keys.some((key) => key.name === rotation.key);
  if (!secretExists) {
    if (position >= 0) return { do: 'fail', phase: 'KeyCreated', reason: 'KeySecretMissing', message: `the key Secret ${rotation.key} is gone while the config uses it; restore it from a backup` };
    // The start step recorded the key's generation with the rotation.
    return { do: 'createKey', key: rotation.key, generation: status.lastKeyGeneration! };
  }
  const key: Entry = { provider: spec.provider as KeyProvider, name: rotation.key, secret: '' };
  const timedOut = observed.now.getTime() - Date.parse(rotation.stagedAt ?? rotation.startedAt) > GATE_TIMEOUT_MS;
  if (position < 0) {
    // Second place: every apiserver can read with it before any writes with it. Data of a
    // resource not encrypted yet is plaintext: identity stays, last, until it is migrated.
    const current = observed.newResources && !entries.some((entry) => entry.provider === 'identity') ? [...entries, IDENTITY] : entries;
    const staged = current.length === 0 ? [IDENTITY, key] : [current[0]!, key, ...current.slice(1)];
    return { do: 'writeConfig', entries: staged, phase: 'ReadStaged', event: `key ${rotation.key} staged for reading` };
  }
  if (position > 0) {
    if (!observed.allLoaded) {
      if (timedOut) return { do: 'rollBack', entries: entries.filter((entry) => entryName(entry) !== rotation.key), reason: `not every apiserver loaded the staged key within ${GATE_TIMEOUT_MS / 60_000} minutes` };
      return { do: 'wait', phase: 'ReadStaged', gate: 'every apiserver to load the new key for reading' };
    }
    const promoted = [entries[position]!, ...entries.filter((_, i) => i !== position)];
    return { do: 'writeConfig', entries: promoted, phase: 'WriteStaged', event: `key ${rotation.key} promoted to encrypt writes` };
  }
  // Rewrite every object until a pass rewrites none: that pass proves nothing is left under an old key.
  if (!verified) return observed.allLoaded ? migrateStep(observed) : { do: 'wait', phase: 'WriteStaged', gate: 'every apiserver to load the new key for writing' };

  // Verified: keep the new key and the retained previous keys; older keys go, and identity too
  // unless a resource was added since the promotion: its objects may still be plaintext.
  const keys = entries.filter((entry) => entry.provider !== 'identity').slice(0, 1 + (spec.retainPreviousKeys ?? 1));
  const retained: Entry[] = observed.newResources ? [...keys, IDENTITY] : keys;
  if (retained.map(entryName).join() !== entries.map(entryName).join()) {
    const removed = entries.map(entryName).filter((name) => !retained.some((e) => entryName(e) === name));
    const event = removed.length ? `old keys removed from the config: ${removed.join(', ')}` : 'identity kept in the config for a resource added during the rotation';
    return { do: 'writeConfig', entries: retained, phase: 'Pruned', event };
  }
  if (!observed.allLoaded) return { do: 'wait', phase: 'Pruned', gate: 'every apiserver to load the pruned config' };
  const inConfig = new Set(entries.map(entryName));
  const current = observed.keys.find((k) => k.name === rotation.key)!;
  const unused = observed.keys.filter((k) => !inConfig.has(k.name) && k.generation < current.generation).map((k) => k.name);
  return unused.length ? { do: 'deleteKeys', names: unused } : finishing(observed);
}

/** Phase of a schedule with no rotation under way. */
export const restingPhase = (status: Status): Phase => (status.lastRotationTime ? 'Pruned' : 'Idle');

const notPermitted = (message: string, phase: Phase): Step => ({ do: 'fail', phase, reason: 'MigrationNotPermitted', message });

/** Whether every object of the resources the block encrypts is proven under the new key, on the path this cluster takes. */
export function reEncrypted(observed: Observed): boolean {
  const rotation = observed.schedule.status?.rotation;
  const resources = observed.encrypted;
  if (!rotation || resources.length === 0) return false;
  return observed.migrationPath === 'InProcess'
    ? migrationVerified(rotation.migration, resources.length)
    : storageMigrationsVerified(storageMigrations(observed, resources), rotation, resources);
}

/** The next step of re-encryption: a slice of the operator's own rewrite, or one of the built-in migration. */
function migrateStep(observed: Observed): Step {
  if (observed.migrationPath === 'StorageVersionMigration') return storageMigrationStep(observed, storageMigrations(observed, observed.encrypted), observed.encrypted);
  return observed.inProcessRefused ? notPermitted(observed.inProcessRefused, 'Migrating') : { do: 'migrate' };
}

/** The migrations this schedule made go once the rotation is done; then it finishes. */
function finishing(observed: Observed): Step {
  const names = observed.storageMigrations.map((m) => m.metadata.name);
  return names.length ? { do: 'deleteMigrations', names, why: 'done' } : { do: 'finish' };
}

export function migrationVerified(migration: Migration | undefined, resourceCount: number): migration is Migration {
  return !!migration && migration.pass > 1 && migration.resource >= resourceCount && migration.rewritten === 0;
}

/** Pass 1 re-encrypts; every later pass verifies that nothing is left to. */
export const migrationPhase = (migration: Migration | undefined): Phase => (migration && migration.pass > 1 ? 'Verified' : 'Migrating');

/**
 * The pass from its first page again, its count of objects checked from 0, so that each object is
 * counted once. What it found under an old key stays counted: those objects are under the new key now.
 */
const passStartedOver = (migration: Migration): Migration => ({ ...migration, resource: 0, continue: undefined, checked: 0 });

/** The checkpoint the next page starts from: as recorded, unless spec.resources shrank under it. */
export function resumeFrom(migration: Migration | undefined, resourceCount: number): Migration | undefined {
  return migration && migration.resource >= resourceCount ? passStartedOver(migration) : migration;
}

/** The checkpoint after a page: where to resume, and when a pass ends, the next pass or the end. */
export function advanceMigration(migration: Migration | undefined, page: Page, resourceCount: number, now: Date): Migration {
  const current = migration ?? { pass: 1, resource: 0, checked: 0, rewritten: 0, startedAt: now.toISOString() };
  // The list outlived etcd's history: its token cannot resume it.
  if ('expired' in page) return passStartedOver(current);
  const checked = (current.checked ?? 0) + page.checked;
  const rewritten = current.rewritten + page.rewritten;
  if (page.continue) return { ...current, checked, rewritten, continue: page.continue };
  const resource = current.resource + 1;
  const next = { ...current, checked, rewritten, resource, continue: undefined };
  if (resource < resourceCount) return next;
  if (current.pass > 1 && rewritten === 0) return { ...next, verifiedAt: now.toISOString() };
  return {
    pass: current.pass + 1, resource: 0, checked: 0, rewritten: 0, startedAt: current.startedAt,
    firstPassChecked: current.firstPassChecked ?? checked, firstPassRewritten: current.firstPassRewritten ?? rewritten,
  };
}
