// The KeyRotationSchedule controller: observes the key Secrets, the config file, what every
// apiserver loaded and how the cluster re-encrypts (migration-api.ts), lets decide.ts choose
// the one next step and what to report, takes the step, and writes the report. A rotation
// requeues itself: apiservers reload, and kube-controller-manager migrates, on their own clock.
import { API_VERSION } from '../../api/crd.ts';
import { schedules } from '../../api/resources.ts';
import { NAMESPACE_METADATA, namespaces, secrets } from '../../kubernetes/resources.ts';
import { apply, needsApply } from '../../runtime/apply.ts';
import type { KubeClient, KubeObject } from '../../runtime/client.ts';
import { controller, type ControllerSpec, type ReconcileOutcome, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { apiServerUrls, loadedConfigs } from './apiservers.ts';
import { keyRotationSettings } from './settings.ts';
import { afterPage, decide, failed, refusal, refused, requeueAfter, type Report } from './decide.ts';
import { CONFIG_KEY, configRecordName, fileDelivery, hostPathJobDelivery, type Delivery } from './delivery.ts';
import { configHash, entryName, parseConfig, renderConfig, type EncryptionConfig, type Entry } from './encryption-config.ts';
import { createKey, deleteKey, GENERATION_LABEL, SCHEDULE_LABEL, type KeySecret } from './keys.ts';
import { registerRotationMetrics } from './metrics.ts';
import { migratePage, resolveResource } from './migrate.ts';
import { createStorageMigration, deleteStorageMigration, migrationState } from './migration-api.ts';
import { storageMigrationFor } from './storage-migration.ts';
import { migrationVerified, resourcesOf, resumeFrom, type Observed, type Schedule, type Status, type Step } from './plan.ts';
import { errorMessage } from '../../runtime/errors.ts';

/** A migrate step rewrites pages for this long, then lets the queue serve the other schedules. */
const MIGRATION_SLICE_MS = 5_000;

/** What a pass observed, and what its step needs to write the config. */
interface World {
  observed: Observed;
  config: EncryptionConfig;
  keySecrets: KeySecret[];
  delivery: Delivery;
}

/** Writes a schedule's status where it changed; remembers what the pass last reported, and whether it wrote. */
interface StatusWriter {
  write(status: Status): Promise<void>;
  last: Status;
  wrote: boolean;
}

export function keyRotationScheduleController({ client, settings, manager, metrics, events, clock }: OperatorContext): ControllerSpec {
  const { apiServerUrls: configuredUrls, image } = keyRotationSettings(settings);
  const cache = manager.informer<Schedule>(schedules);
  registerRotationMetrics(metrics, () => cache.list());
  const namespaceCache = manager.informer(namespaces, NAMESPACE_METADATA);

  const deliveryOf = ({ spec, metadata }: Schedule): Delivery => {
    const path = spec.delivery?.path ?? '/etc/kubernetes/enc/encryption-config.yaml';
    return spec.delivery?.type === 'HostPathJob'
      ? hostPathJobDelivery(client, { schedule: metadata.name, namespace: spec.keyStore.namespace, path, image })
      : fileDelivery(path, () => manager.inCharge);
  };

  async function observe(schedule: Schedule, now: Date): Promise<World> {
    const { spec, metadata } = schedule;
    const delivery = deliveryOf(schedule);
    const text = spec.provider === 'kms' ? '' : await delivery.read();
    const resources = resourcesOf(spec);
    const config = text ? parseConfig(text, resources) : { resources, entries: [], others: [] };
    // A resource the file does not encrypt yet: its objects are plaintext until a rotation migrates them.
    const unencrypted = spec.provider === 'kms' ? [] : resources.filter((resource) => !text || !parseConfig(text, [resource]).entries.length);
    const encrypted = config.resources.filter((resource) => !unencrypted.includes(resource));
    // The key Secrets: those with a generation (the config record carries the schedule label too).
    const list = await client.list<KeySecret>(secrets, { namespace: spec.keyStore.namespace, labelSelector: `${SCHEDULE_LABEL}=${metadata.name},${GENERATION_LABEL}` });
    const keySecrets = list.items ?? [];
    const loaded = spec.provider === 'kms' ? [] : await loadedConfigs(client, await apiServerUrls(client, configuredUrls));
    if (!text && spec.delivery?.type === 'HostPathJob' && loaded.some((hash) => hash !== undefined)) {
      // Palisade cannot read the nodes' file: without its content it would write a config that
      // drops the keys in use.
      throw new Error(`the apiservers run an encryption config Palisade has no copy of: put the file's content into Secret ${spec.keyStore.namespace}/${configRecordName(metadata.name)}, key ${CONFIG_KEY}`);
    }
    const observed: Observed = {
      schedule, now, entries: config.entries, newResources: unencrypted.length > 0,
      encrypted,
      keys: keySecrets.map((s) => ({ name: s.metadata.name, generation: Number(s.metadata.labels?.[GENERATION_LABEL] ?? 0) })),
      allLoaded: loaded.length > 0 && loaded.every((hash) => hash === configHash(text)),
      // After what the apiservers loaded: a revision read then is later than a promotion seen loaded.
      ...await migrationState(client, schedule, encrypted),
    };
    return { observed, config, keySecrets, delivery };
  }

  async function publish(schedule: Schedule, writer: StatusWriter, report: Report): Promise<void> {
    await writer.write(report.status);
    for (const { type, reason, note } of report.events) await events.record(schedule, type, reason, 'Rotate', note);
  }

  async function reconcile({ name }: Request): Promise<ReconcileOutcome> {
    const schedule = cache.get(name);
    if (!schedule || schedule.metadata.deletionTimestamp) return;
    const now = clock();
    const writer = statusWriter(client, schedule);
    const refusing = refusal(schedule, { keyStoreNamespace: namespaceCache.get(schedule.spec.keyStore.namespace), schedules: cache.list(), image }, now);
    // Nothing else is written: the spec, or the operator's flags, must change first.
    if (refusing) return publish(schedule, writer, refused(schedule, refusing, now));
    try {
      const world = await observe(schedule, now);
      const { step, status, events: notes } = decide(world.observed);
      const taken = await take(step, status, world, writer);
      await publish(schedule, writer, { status: taken, events: notes });
      return requeueAfter(step, taken, now, writer.wrote);
    } catch (error) {
      await publish(schedule, writer, failed(schedule, writer.last, errorMessage(error), now));
      throw error;
    }
  }

  /** Carries the step out; resolves with the status it leaves (a migrate step's depends on its pages). */
  async function take(step: Step, decided: Status, { observed, config, keySecrets, delivery }: World, writer: StatusWriter): Promise<Status> {
    const { spec, metadata } = observed.schedule;
    switch (step.do) {
      case 'createKey':
        await createKey(client, spec.keyStore.namespace, metadata.name, step.key, step.generation);
        return decided;
      case 'writeConfig': case 'rollBack':
        await delivery.write(renderConfig({ ...config, entries: withMaterial(step.entries, observed.entries, keySecrets) }));
        return decided;
      case 'deleteKeys':
        for (const key of step.names) await deleteKey(client, spec.keyStore.namespace, key);
        return decided;
      case 'migrate':
        return migrate(observed, decided, writer);
      case 'createMigrations':
        for (const resource of step.resources) await createStorageMigration(client, storageMigrationFor(observed.schedule, resource, decided.rotation!.key));
        return decided;
      case 'deleteMigrations':
        for (const name of step.names) await deleteStorageMigration(client, name);
        return decided;
      default:
        return decided;
    }
  }

  /** Pages of re-encryption for one slice, each recorded in status before the next: the checkpoint a restart resumes from. */
  async function migrate(observed: Observed, decided: Status, writer: StatusWriter): Promise<Status> {
    const resources = observed.encrypted;
    const deadline = performance.now() + MIGRATION_SLICE_MS;
    let status = decided;
    while (performance.now() < deadline && !migrationVerified(status.rotation?.migration, resources.length)) {
      const from = resumeFrom(status.rotation?.migration, resources.length);
      const page = await migratePage(client, await resolveResource(client, resources[from?.resource ?? 0]!), from?.continue);
      status = afterPage({ ...observed, now: clock() }, status, from, page);
      await writer.write(status);
    }
    return status;
  }

  const all = () => cache.list().map((schedule) => ({ name: schedule.metadata.name }));
  return controller('keyrotationschedule').for(schedules).reportsReady()
    // A keyStore namespace appearing, or its Pod Security changing, may end a refusal.
    .watches(namespaces, (ns) => cache.list().filter((s) => s.spec.keyStore.namespace === ns.metadata.name).map((s) => ({ name: s.metadata.name })), NAMESPACE_METADATA)
    // A schedule going away may leave its file to one refused as a second schedule on it.
    .watches(schedules, (_, event) => (event.type === 'delete' ? all() : []))
    .reconcile(reconcile);
}

function statusWriter(client: KubeClient, schedule: Schedule): StatusWriter {
  let live: KubeObject = schedule;
  const writer: StatusWriter = {
    last: schedule.status ?? {},
    wrote: false,
    async write(status) {
      writer.last = status;
      const desired = { apiVersion: API_VERSION, kind: 'KeyRotationSchedule', metadata: { name: schedule.metadata.name }, status: { ...status, observedGeneration: schedule.metadata.generation } };
      if (!needsApply(desired, live, { subresource: 'status' })) return;
      live = await apply(client, schedules, desired, { subresource: 'status', force: true });
      writer.wrote = true;
    },
  };
  return writer;
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
