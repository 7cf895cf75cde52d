// The KeyRotationSchedule controller: observes the key Secrets, the config file and what every
// apiserver loaded, asks the plan for the one next step, takes it, and records it in status.
// It requeues itself while a rotation runs: apiservers reload on their own clock, not on events.
import { API_VERSION, GROUP, VERSION } from '../../api/crd.ts';
import { FieldError } from '../../api/field-error.ts';
import type { KeyRotationScheduleSpec, KeyRotationScheduleStatus } from '../../api/keyrotationschedule.ts';
import { apply, needsApply } from '../../runtime/apply.ts';
import type { KubeObject, Resource } from '../../runtime/client.ts';
import { setCondition, type Condition } from '../../runtime/conditions.ts';
import { controller, type ControllerSpec, type ReconcileOutcome, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { apiServerUrls, loadedConfigs } from './apiservers.ts';
import { configHash, entryName, parseConfig, renderConfig, type EncryptionConfig, type Entry } from './encryption-config.ts';
import { CONFIG_KEY, configRecordName, fileDelivery, hostPathJobDelivery, type Delivery } from './delivery.ts';
import { createKey, deleteKey, GENERATION_LABEL, SCHEDULE_LABEL, secrets, type KeySecret } from './keys.ts';
import { migratePage, resolveResource } from './migrate.ts';
import { advanceMigration, migrationVerified, nextStep, rotationDue, type Observed, type Phase, type Step } from './plan.ts';
import { nextRotation } from './schedule.ts';

export const schedules: Resource = { group: GROUP, version: VERSION, kind: 'KeyRotationSchedule', resource: 'keyrotationschedules', namespaced: false };
const namespaces: Resource = { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false };
export const ROTATE_NOW_ANNOTATION = 'palisade.dev/rotate-now';
const WAIT_MS = 5_000;
const MIGRATION_SLICE_MS = 5_000;

type Schedule = KubeObject & { metadata: { generation?: number; creationTimestamp?: string }; spec: KeyRotationScheduleSpec; status?: KeyRotationScheduleStatus & { conditions?: Condition[] } };
type Status = KeyRotationScheduleStatus & { conditions?: Condition[] };

export function keyRotationScheduleController({ client, apiServerUrls: configuredUrls, image, manager, events }: OperatorContext): ControllerSpec {
  const cache = manager.informer<Schedule>(schedules);
  const namespaceCache = manager.informer(namespaces);

  const deliveryOf = (schedule: Schedule): Delivery => {
    const { spec, metadata } = schedule;
    const path = spec.delivery?.path ?? '/etc/kubernetes/enc/encryption-config.yaml';
    return spec.delivery?.type === 'HostPathJob'
      ? hostPathJobDelivery(client, { schedule: metadata.name, namespace: spec.keyStore.namespace, path, image })
      : fileDelivery(path, () => manager.inCharge);
  };

  async function observe(schedule: Schedule, now: Date) {
    const { spec } = schedule;
    const delivery = deliveryOf(schedule);
    const text = spec.provider === 'kms' ? '' : await delivery.read();
    const resources = spec.resources ?? ['secrets'];
    const config = text ? parseConfig(text, resources) : { resources, entries: [], others: [] };
    const { entries } = config;
    // A resource the file does not encrypt yet: its objects are plaintext until a rotation migrates them.
    const newResources = spec.provider !== 'kms' && resources.some((resource) => !text || !parseConfig(text, [resource]).entries.length);
    // The key Secrets: those with a generation (the config record carries the schedule label too).
    const list = await client.list<KeySecret>(secrets, { namespace: spec.keyStore.namespace, labelSelector: `${SCHEDULE_LABEL}=${schedule.metadata.name},${GENERATION_LABEL}` });
    const keySecrets = list.items ?? [];
    const loaded = spec.provider === 'kms' ? [] : await loadedConfigs(client, await apiServerUrls(client, configuredUrls));
    if (!text && spec.delivery?.type === 'HostPathJob' && loaded.some((hash) => hash !== undefined)) {
      // Palisade cannot read the nodes' file: without its content it would write a config that
      // drops the keys in use.
      throw new Error(`the apiservers run an encryption config Palisade has no copy of: put the file's content into Secret ${spec.keyStore.namespace}/${configRecordName(schedule.metadata.name)}, key ${CONFIG_KEY}`);
    }
    const status = schedule.status ?? {};
    const observed: Observed = {
      name: schedule.metadata.name, spec, status, now, entries,
      keys: keySecrets.map((s) => ({ name: s.metadata.name, generation: Number(s.metadata.labels?.[GENERATION_LABEL] ?? 0) })),
      allLoaded: loaded.length > 0 && loaded.every((hash) => hash === configHash(text)),
      newResources,
      due: rotationDue(spec, status, { entries, newResources, rotateNow: schedule.metadata.annotations?.[ROTATE_NOW_ANNOTATION], now }),
    };
    return { observed, config, keySecrets, delivery };
  }

  /** Fills in the material of keys the plan names: from the file, else from their Secrets. */
  function withMaterial(entries: Entry[], current: Entry[], keySecrets: KeySecret[]): Entry[] {
    return entries.map((entry) => {
      if (entry.provider === 'identity' || entry.secret) return entry;
      const secret = current.find((e) => entryName(e) === entry.name && e.provider !== 'identity') as { secret: string } | undefined
        ?? { secret: keySecrets.find((s) => s.metadata.name === entry.name)?.data?.key ?? '' };
      if (!secret.secret) throw new Error(`no material for key ${entry.name}`);
      return { ...entry, secret: secret.secret };
    });
  }

  async function migrate(schedule: Schedule, status: Status, write: (status: Status) => Promise<boolean>): Promise<Status> {
    const resources = schedule.spec.resources ?? ['secrets'];
    const deadline = performance.now() + MIGRATION_SLICE_MS;
    let rotation = status.rotation!;
    while (performance.now() < deadline) {
      let checkpoint = rotation.migration;
      if (migrationVerified(checkpoint, resources.length)) break;
      // The list shrank under a checkpoint: start this pass over (rewriting twice is harmless).
      if (checkpoint && checkpoint.resource >= resources.length) checkpoint = { ...checkpoint, resource: 0, continue: undefined };
      const index = checkpoint?.resource ?? 0;
      const page = await migratePage(client, await resolveResource(client, resources[index]!), checkpoint?.continue);
      rotation = { ...rotation, migration: advanceMigration(checkpoint, page, resources.length, new Date()) };
      status = { ...status, rotation };
      await write(status);
    }
    return status;
  }

  async function reconcile({ name }: Request): Promise<ReconcileOutcome> {
    const schedule = cache.get(name);
    if (!schedule || schedule.metadata.deletionTimestamp) return;
    const now = new Date();
    let status: Status = { ...schedule.status };
    const write = async (next: Status) => {
      const desired = { apiVersion: API_VERSION, kind: 'KeyRotationSchedule', metadata: { name }, status: { ...next, observedGeneration: schedule.metadata.generation } };
      if (!needsApply(desired, schedule, { subresource: 'status' })) return false;
      await apply(client, schedules, desired, { subresource: 'status', force: true });
      return true;
    };
    try {
      const invalid = validate(schedule);
      if (invalid) throw invalid;
      const { observed, config, keySecrets, delivery } = await observe(schedule, now);
      const step = nextStep(observed);
      status = await take(step, schedule, status, observed, { config, keySecrets, delivery, write });
      status = { ...status, ...summary(observed, schedule, status, step) };
      const wrote = await write(conditions(status, schedule, step));
      // After a status write the next pass waits for the watch to bring it back: a pass on a
      // cache older than our own write could undo what this one recorded.
      return wrote && !['idle', 'wait', 'fail'].includes(step.do) ? undefined : requeue(step, status, now);
    } catch (error) {
      const invalid = error instanceof FieldError;
      const message = error instanceof Error ? error.message : String(error);
      await write(conditions(status, schedule, undefined, { reason: invalid ? 'InvalidSpec' : 'StepFailed', message }));
      await events.record(schedule, 'Warning', invalid ? 'InvalidSpec' : 'StepFailed', 'Rotate', message);
      if (invalid) return;
      throw error;
    }
  }

  function validate(schedule: Schedule): FieldError | undefined {
    const { spec } = schedule;
    try {
      nextRotation(spec, new Date());
    } catch (error) {
      return error as FieldError;
    }
    if (!namespaceCache.get(spec.keyStore.namespace)) return new FieldError('spec.keyStore.namespace', `namespace ${spec.keyStore.namespace} does not exist`);
    const wildcard = spec.resources?.find((resource) => resource.startsWith('*.'));
    if (wildcard) return new FieldError('spec.resources', `${wildcard}: name each resource; a wildcard cannot be re-encrypted object by object`);
    if (spec.provider !== 'kms' && spec.delivery?.type === 'HostPathJob') {
      if (!image) return new FieldError('spec.delivery.type', 'HostPathJob runs the operator\'s own image: start the operator with --image (PALISADE_IMAGE)');
      const level = namespaceCache.get(spec.keyStore.namespace)?.metadata.labels?.['pod-security.kubernetes.io/enforce'];
      if (level === 'baseline' || level === 'restricted') {
        return new FieldError('spec.keyStore.namespace', `the Jobs of HostPathJob mount a hostPath, which Pod Security "${level}" of namespace ${spec.keyStore.namespace} refuses`);
      }
    }
    const rival = cache.list().find((other) => other.metadata.name !== schedule.metadata.name && !other.metadata.deletionTimestamp
      && other.spec.delivery?.path === spec.delivery?.path && `${other.metadata.creationTimestamp}/${other.metadata.name}` < `${schedule.metadata.creationTimestamp}/${schedule.metadata.name}`);
    return rival ? new FieldError('spec.delivery.path', `KeyRotationSchedule ${rival.metadata.name} already manages ${spec.delivery?.path}`) : undefined;
  }

  async function take(step: Step, schedule: Schedule, status: Status, observed: Observed,
    io: { config: EncryptionConfig; keySecrets: KeySecret[]; delivery: Delivery; write: (status: Status) => Promise<boolean> }): Promise<Status> {
    const configWith = (entries: Entry[]) => renderConfig({ ...io.config, entries: withMaterial(entries, observed.entries, io.keySecrets) });
    const rotateNow = schedule.metadata.annotations?.[ROTATE_NOW_ANNOTATION];
    switch (step.do) {
      case 'start':
        await events.record(schedule, 'Normal', 'RotationStarted', 'Rotate', `rotating in key ${step.key}`);
        return { ...status, rotation: { key: step.key, startedAt: observed.now.toISOString() }, lastKeyGeneration: step.generation, ...(rotateNow ? { lastRotateNow: rotateNow } : {}) };
      case 'createKey':
        await createKey(client, schedule.spec.keyStore.namespace, schedule.metadata.name, step.key, Number(step.key.slice(step.key.lastIndexOf('-') + 1)));
        return status;
      case 'writeConfig':
        await io.delivery.write(configWith(step.entries));
        await events.record(schedule, 'Normal', step.phase, 'Rotate', step.event);
        // The stage gate's clock starts when the key is staged, not when the rotation began.
        return step.phase === 'ReadStaged' ? { ...status, rotation: { ...status.rotation!, stagedAt: observed.now.toISOString() } } : status;
      case 'rollBack':
        await io.delivery.write(configWith(step.entries));
        await events.record(schedule, 'Warning', 'RolledBack', 'Rotate', `key ${status.rotation?.key} taken out again: ${step.reason}`);
        return { ...status, rotation: undefined, lastRollbackTime: observed.now.toISOString() };
      case 'migrate':
        return migrate(schedule, status, io.write);
      case 'deleteKeys':
        for (const key of step.names) await deleteKey(client, schedule.spec.keyStore.namespace, key);
        return status;
      case 'finish': {
        const migration = status.rotation?.migration;
        await events.record(schedule, 'Normal', 'RotationCompleted', 'Rotate', `key ${status.rotation?.key} encrypts everything; old keys pruned`);
        return {
          ...status, rotation: undefined, lastRotationTime: observed.now.toISOString(),
          lastMigration: {
            objectsRewritten: migration?.firstPassRewritten ?? 0,
            durationSeconds: migration ? Math.round((Date.parse(migration.verifiedAt ?? observed.now.toISOString()) - Date.parse(migration.startedAt)) / 1000) : 0,
          },
        };
      }
      default:
        return status;
    }
  }

  return controller('keyrotationschedule').for(schedules).reconcile(reconcile);
}

function summary(observed: Observed, schedule: Schedule, status: Status, step: Step): Status {
  const keys = observed.entries.filter((entry) => entry.provider !== 'identity').map(entryName);
  const after = new Date(Math.max(...[status.lastRotationTime, status.lastRollbackTime, schedule.metadata.creationTimestamp]
    .map((time) => (time ? Date.parse(time) : 0)), 0) || observed.now.getTime());
  return {
    phase: phaseOf(step, status),
    ...(keys[0] ? { currentKey: keys[0], previousKeys: keys.slice(1) } : {}),
    nextRotationTime: nextRotation(schedule.spec, after).toISOString(),
  };
}

function phaseOf(step: Step, status: Status): Phase {
  switch (step.do) {
    case 'start': case 'createKey': return 'KeyCreated';
    case 'writeConfig': case 'wait': case 'migrate': case 'fail': return step.phase;
    case 'deleteKeys': return 'Verified';
    case 'finish': return 'Pruned';
    default: return status.rotation ? (status.phase ?? 'KeyCreated') : (status.lastRotationTime ? 'Pruned' : 'Idle');
  }
}

function conditions(status: Status, schedule: Schedule, step: Step | undefined, failure?: { reason: string; message: string }): Status {
  const generation = schedule.metadata.generation;
  const problem = failure ?? (step?.do === 'fail' ? { reason: step.reason, message: step.message } : undefined);
  const rotating = status.rotation
    ? { status: 'True' as const, reason: status.phase ?? 'Rotating', message: `rotating in key ${status.rotation.key}${step?.do === 'wait' ? `; waiting for ${step.gate}` : ''}` }
    : { status: 'False' as const, reason: 'Idle', message: status.nextRotationTime ? `next rotation at ${status.nextRotationTime}` : 'no rotation under way' };
  const ready = problem
    ? { status: 'False' as const, reason: problem.reason, message: problem.message }
    : status.rotation
      ? { status: 'False' as const, reason: 'Rotating', message: rotating.message }
      : { status: 'True' as const, reason: 'KeysCurrent', message: status.currentKey ? `key ${status.currentKey} encrypts writes` : 'nothing to rotate' };
  let result = setCondition(status.conditions, { type: 'Ready', ...ready }, generation);
  result = setCondition(result, { type: 'Rotating', ...rotating }, generation);
  result = setCondition(result, { type: 'Degraded', ...(problem ? { status: 'True' as const, ...problem } : { status: 'False' as const, reason: 'AsExpected', message: 'every step succeeded' }) }, generation);
  return { ...status, conditions: result };
}

function requeue(step: Step, status: Status, now: Date): ReconcileOutcome {
  if (step.do === 'wait' || step.do === 'fail') return { requeueAfterMs: WAIT_MS };
  if (step.do !== 'idle') return { requeueAfterMs: 1 };
  const next = status.nextRotationTime ? Date.parse(status.nextRotationTime) - now.getTime() : 3_600_000;
  return { requeueAfterMs: Math.min(Math.max(next, 1_000), 3_600_000) };
}
