// What a pass of the KeyRotationSchedule controller decides from what it observed: whether the
// schedule can run at all, the step to take (plan.ts), the status that step leaves (the phase of
// the step under way, the summary, the conditions), the Events it records, and when to look
// again. Pure, with the pass's time passed in: the controller observes, carries the step out, and
// writes what this returns.
import { FieldError } from '../../api/field-error.ts';
import type { KeyRotationScheduleSpec } from '../../api/keyrotationschedule.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { ReconcileOutcome } from '../../runtime/controller.ts';
import type { EventType } from '../../runtime/events.ts';
import { entryName } from './encryption-config.ts';
import {
  advanceMigration, migrationPhase, nextStep, restingPhase, ROTATE_NOW_ANNOTATION,
  type Migration, type Observed, type Page, type Phase, type Rotation, type Schedule, type Status, type Step,
} from './plan.ts';
import { storageMigrations, storageMigrationSeconds } from './storage-migration.ts';
import { nextRotation } from './schedule.ts';

/** How often a gate is looked at again: apiservers reload on their own clock, not on events. */
export const WAIT_MS = 5_000;
const HOUR_MS = 3_600_000;

export interface EventNote {
  type: EventType;
  reason: string;
  /** Names keys and fields, never key material. */
  note: string;
}

/** What a pass leaves behind: the status to write and the Events to record. */
export interface Report {
  status: Status;
  events: EventNote[];
}

export interface Decision extends Report {
  step: Step;
}

interface Problem {
  reason: string;
  message: string;
}

/** Why a schedule cannot run: its spec, or how the operator was started. */
export interface Refusal extends Problem {
  reason: 'InvalidSpec' | 'OperatorConfiguration';
}

/** What the caches show around a schedule. */
export interface Surroundings {
  /** The keyStore namespace; undefined where it does not exist. */
  keyStoreNamespace: KubeObject | undefined;
  /** Every KeyRotationSchedule. */
  schedules: readonly Schedule[];
  /** The operator's own image (--image), which the Jobs of HostPathJob run. */
  image: string;
}

/** A spec the operator cannot act on, or an operator that cannot act on it; undefined where it can. */
export function refusal(schedule: Schedule, around: Surroundings, now: Date): Refusal | undefined {
  const invalid = invalidField(schedule, around, now);
  if (invalid) return { reason: 'InvalidSpec', message: invalid.message };
  if (runsJobs(schedule.spec) && !around.image) {
    return { reason: 'OperatorConfiguration', message: 'HostPathJob runs the operator\'s own image, and the operator was started without one: start it with --image (PALISADE_IMAGE)' };
  }
  return undefined;
}

const runsJobs = (spec: KeyRotationScheduleSpec) => spec.provider !== 'kms' && spec.delivery?.type === 'HostPathJob';

function invalidField(schedule: Schedule, around: Surroundings, now: Date): FieldError | undefined {
  const { spec } = schedule;
  try {
    nextRotation(spec, now);
  } catch (error) {
    if (error instanceof FieldError) return error;
    throw error;
  }
  const namespace = around.keyStoreNamespace;
  if (!namespace) return new FieldError('spec.keyStore.namespace', `namespace ${spec.keyStore.namespace} does not exist`);
  const wildcard = spec.resources?.find((resource) => resource.startsWith('*.'));
  if (wildcard) return new FieldError('spec.resources', `${wildcard}: name each resource; a wildcard cannot be re-encrypted object by object`);
  const level = namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'];
  if (runsJobs(spec) && (level === 'baseline' || level === 'restricted')) {
    return new FieldError('spec.keyStore.namespace', `the Jobs of HostPathJob mount a hostPath, which Pod Security "${level}" of namespace ${spec.keyStore.namespace} refuses`);
  }
  // The oldest schedule of a file manages it.
  const age = (s: Schedule) => `${s.metadata.creationTimestamp}/${s.metadata.name}`;
  const rival = around.schedules.find((other) => other.metadata.name !== schedule.metadata.name && !other.metadata.deletionTimestamp
    && other.spec.delivery?.path === spec.delivery?.path && age(other) < age(schedule));
  return rival ? new FieldError('spec.delivery.path', `KeyRotationSchedule ${rival.metadata.name} already manages ${spec.delivery?.path}`) : undefined;
}

/** The step of this pass, the status once it is taken, and its Events. */
export function decide(observed: Observed): Decision {
  const step = nextStep(observed);
  return { step, status: reported(observed, step, recorded(observed, step)), events: eventsOf(observed, step) };
}

/** The status after one more page of a migrate step; `observed.now` is when the page was done. */
export function afterPage(observed: Observed, status: Status, from: Migration | undefined, page: Page): Status {
  const migration = advanceMigration(from, page, observed.encrypted.length, observed.now);
  return reported(observed, { do: 'migrate' }, { ...status, rotation: { ...status.rotation!, migration } });
}

/** A schedule that cannot run: its status says why, and so does a Warning Event. */
export function refused(schedule: Schedule, why: Refusal, now: Date): Report {
  return troubled(schedule, schedule.status ?? {}, why, now);
}

/** A pass whose step failed: the status it had reached says so, and so does a Warning Event. */
export function failed(schedule: Schedule, status: Status, message: string, now: Date): Report {
  return troubled(schedule, status, { reason: 'StepFailed', message }, now);
}

function troubled(schedule: Schedule, status: Status, problem: Problem, now: Date): Report {
  return { status: withConditions(schedule, status, { problem }, now), events: [{ type: 'Warning', reason: problem.reason, note: problem.message }] };
}

/**
 * When to look again. After a status write the next pass waits for the watch to bring it back:
 * a pass on a cache older than our own write could undo what this one recorded.
 */
export function requeueAfter(step: Step, status: Status, now: Date, wroteStatus: boolean): ReconcileOutcome {
  if (step.do === 'wait' || step.do === 'fail') return { requeueAfterMs: WAIT_MS };
  if (step.do !== 'idle') return wroteStatus ? undefined : { requeueAfterMs: 1 };
  const untilNext = status.nextRotationTime ? Date.parse(status.nextRotationTime) - now.getTime() : HOUR_MS;
  return { requeueAfterMs: Math.min(Math.max(untilNext, 1_000), HOUR_MS) };
}

/** The write-ahead record as the step leaves it. */
function recorded(observed: Observed, step: Step): Status {
  const { schedule, now } = observed;
  const status = withMigrationRecords(observed, schedule.status ?? {});
  switch (step.do) {
    case 'start': {
      const rotateNow = schedule.metadata.annotations?.[ROTATE_NOW_ANNOTATION];
      return { ...status, rotation: { key: step.key, startedAt: now.toISOString() }, lastKeyGeneration: step.generation, ...(rotateNow ? { lastRotateNow: rotateNow } : {}) };
    }
    case 'writeConfig':
      // The stage gate's clock starts when the key is staged, not when the rotation began.
      return step.phase === 'ReadStaged' ? { ...status, rotation: { ...status.rotation!, stagedAt: now.toISOString() } } : status;
    case 'rollBack':
      return { ...status, rotation: undefined, lastRollbackTime: now.toISOString() };
    case 'recordRevision':
      return { ...status, rotation: { ...status.rotation!, writeKeyRevision: step.revision } };
    case 'finish':
      return { ...status, rotation: undefined, lastRotationTime: now.toISOString(), lastMigration: lastMigration(status.rotation!, now) };
    default:
      return status;
  }
}

/** While a rotation is under way: the path this cluster re-encrypts by, and on the built-in one each resource's migration as this pass found it. */
function withMigrationRecords(observed: Observed, status: Status): Status {
  if (!status.rotation) return status;
  const { storageVersionMigrations: _, ...rotation } = status.rotation;
  const migrations = observed.migrationPath === 'StorageVersionMigration' ? storageMigrations(observed, observed.encrypted) : [];
  return { ...status, rotation: { ...rotation, migrationPath: observed.migrationPath, ...(migrations.length ? { storageVersionMigrations: migrations } : {}) } };
}

/** What the re-encryption took, and for how long: the first pass's counts of the operator's own rewrite, or each resource's migration. */
function lastMigration(rotation: Rotation, now: Date): NonNullable<Status['lastMigration']> {
  const { migration, storageVersionMigrations: resources = [], migrationPath: path = 'InProcess' } = rotation;
  if (path === 'StorageVersionMigration' || !migration) return { path, durationSeconds: storageMigrationSeconds(resources), resources };
  return {
    path,
    objectsChecked: migration.firstPassChecked,
    objectsRewritten: migration.firstPassRewritten ?? 0,
    durationSeconds: Math.round((Date.parse(migration.verifiedAt ?? now.toISOString()) - Date.parse(migration.startedAt)) / 1000),
  };
}

/** The status with the phase of the step under way, the summary and the conditions. */
function reported(observed: Observed, step: Step, status: Status): Status {
  const summarized: Status = { ...status, phase: phaseOf(step, status), ...summary(observed, status) };
  const problem = step.do === 'fail' ? { reason: step.reason, message: step.message } : undefined;
  return withConditions(observed.schedule, summarized, { problem, gate: step.do === 'wait' ? step.gate : undefined }, observed.now);
}

function phaseOf(step: Step, status: Status): Phase {
  switch (step.do) {
    case 'start': case 'createKey': return 'KeyCreated';
    case 'writeConfig': case 'wait': case 'fail': return step.phase;
    case 'migrate': return migrationPhase(status.rotation?.migration);
    case 'recordRevision': case 'createMigrations': return 'Migrating';
    case 'deleteMigrations': return step.why === 'done' ? 'Pruned' : 'Migrating';
    case 'deleteKeys': case 'finish': return 'Pruned';
    case 'idle': case 'rollBack': return restingPhase(status);
  }
}

function summary({ schedule, entries, now }: Observed, status: Status): Pick<Status, 'currentKey' | 'previousKeys' | 'nextRotationTime'> {
  const keys = entries.filter((entry) => entry.provider !== 'identity').map(entryName);
  const since = Math.max(...[status.lastRotationTime, status.lastRollbackTime, schedule.metadata.creationTimestamp].map((time) => (time ? Date.parse(time) : 0)));
  return {
    ...(keys[0] ? { currentKey: keys[0], previousKeys: keys.slice(1) } : {}),
    nextRotationTime: nextRotation(schedule.spec, since ? new Date(since) : now).toISOString(),
  };
}

function withConditions(schedule: Schedule, status: Status, { problem, gate }: { problem?: Problem; gate?: string }, now: Date): Status {
  const rotating: ConditionUpdate = status.rotation
    ? { type: 'Rotating', status: 'True', reason: status.phase ?? 'Rotating', message: `rotating in key ${status.rotation.key}${gate ? `; waiting for ${gate}` : ''}` }
    : { type: 'Rotating', status: 'False', reason: 'Idle', message: status.nextRotationTime ? `next rotation at ${status.nextRotationTime}` : 'no rotation under way' };
  const ready: ConditionUpdate = problem
    ? { type: 'Ready', status: 'False', ...problem }
    : status.rotation
      ? { type: 'Ready', status: 'False', reason: 'Rotating', message: rotating.message }
      : { type: 'Ready', status: 'True', reason: 'KeysCurrent', message: status.currentKey ? `key ${status.currentKey} encrypts writes` : 'nothing to rotate' };
  const degraded: ConditionUpdate = problem
    ? { type: 'Degraded', status: 'True', ...problem }
    : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'every step succeeded' };
  const conditions = [ready, rotating, degraded].reduce<Condition[]>((list, update) => setCondition(list, update, schedule.metadata.generation, now), status.conditions ?? []);
  return { ...status, conditions };
}

function eventsOf({ schedule }: Observed, step: Step): EventNote[] {
  const key = schedule.status?.rotation?.key;
  switch (step.do) {
    case 'start': return [{ type: 'Normal', reason: 'RotationStarted', note: `rotating in key ${step.key}` }];
    case 'writeConfig': return [{ type: 'Normal', reason: step.phase, note: step.event }];
    case 'rollBack': return [{ type: 'Warning', reason: 'RolledBack', note: `key ${key} taken out again: ${step.reason}` }];
    case 'fail': return [{ type: 'Warning', reason: step.reason, note: step.message }];
    case 'createMigrations': return [{ type: 'Normal', reason: 'MigrationStarted', note: `re-encrypting ${step.resources.join(', ')} with a StorageVersionMigration each` }];
    case 'deleteMigrations': return step.why === 'retry' ? [{ type: 'Normal', reason: 'MigrationRetried', note: `StorageVersionMigration ${step.names.join(', ')} made anew after it failed` }] : [];
    case 'finish': return [{ type: 'Normal', reason: 'RotationCompleted', note: `key ${key} encrypts everything; old keys pruned` }];
    default: return [];
  }
}
