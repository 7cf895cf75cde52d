// KeyRotationSchedule: scheduled, crash-safe rotation of the kube-apiserver encryption-at-rest keys.
import { readyColumn, type KindDefinition } from './crd.ts';
import {
  Type, type Static, cel, conditions, namespaceName, observedGeneration, stringEnum, stringSet,
} from './schema.ts';

export const PROVIDERS = ['aescbc', 'aesgcm', 'secretbox', 'kms'] as const;
/** How a rotation re-encrypts: Kubernetes' storage version migration, or the operator's own rewrite where that API is not served. */
export const MIGRATION_PATHS = ['StorageVersionMigration', 'InProcess'] as const;
export const STORAGE_MIGRATION_STATES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export const PHASES = [
  'Idle', 'KeyCreated', 'ReadStaged', 'WriteStaged', 'Migrating', 'Verified', 'Pruned',
] as const;

// Five fields (minute hour day-of-month month day-of-week) or a macro; cron-parser has the last word.
const CRON = '^(@(yearly|annually|monthly|weekly|daily|hourly)|([^\\s]+\\s+){4}[^\\s]+)$';

const spec = Type.Object({
  schedule: Type.String({ pattern: CRON, maxLength: 128, description: 'When to rotate, in cron syntax, e.g. "0 3 * * 0".' }),
  timeZone: Type.Optional(Type.String({
    default: 'UTC', maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+\\-]*(/[A-Za-z0-9_+\\-]+)*$',
    description: 'The IANA time zone the schedule is read in.',
  })),
  provider: Type.Optional(stringEnum(PROVIDERS, {
    default: 'aescbc',
    description: 'The encryption provider. With kms the KMS plugin owns the keys and Palisade only re-encrypts.',
  })),
  resources: Type.Optional(stringSet(Type.String({
    maxLength: 253,
    pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
  }), {
    default: ['secrets'], minItems: 1, maxItems: 64,
    description: 'What the EncryptionConfiguration encrypts: secrets, configmaps, widgets.example.com, ...',
  })),
  keyStore: Type.Object({
    namespace: namespaceName({ description: 'Where the key Secrets live. Only the operator should be able to read Secrets there.' }),
  }, { description: 'Where the keys are kept.' }),
  delivery: Type.Optional(Type.Object({
    type: stringEnum(['HostPathJob', 'File'], {
      description: 'HostPathJob: a Job on each control-plane node writes the file; File: the operator writes it itself.',
    }),
    path: Type.Optional(Type.String({
      default: '/etc/kubernetes/enc/encryption-config.yaml', maxLength: 4096, pattern: '^/[^\\x00]*[^/]$',
      description: 'The absolute path of the file the apiservers read with --encryption-provider-config.',
    })),
  }, { description: 'How the EncryptionConfiguration reaches the apiservers.' })),
  retainPreviousKeys: Type.Optional(Type.Integer({
    default: 1, minimum: 0, maximum: 10,
    description: 'How many earlier keys stay in the config for reading after a rotation.',
  })),
  suspend: Type.Optional(Type.Boolean({ default: false, description: 'Start no new rotation; one under way completes.' })),
}, cel({
  rule: "self.provider == 'kms' || has(self.delivery)",
  message: 'delivery is required unless provider is kms',
  fieldPath: '.delivery',
  reason: 'FieldValueRequired',
}));
export type KeyRotationScheduleSpec = Static<typeof spec>;

const migrationPath = stringEnum(MIGRATION_PATHS, { description: 'How the rotation re-encrypts: StorageVersionMigration (storagemigration.k8s.io/v1), or InProcess where that API is not served.' });

const storageMigrations = (description: string) => Type.Array(Type.Object({
  resource: Type.String({ description: 'The resource, as spec.resources names it.' }),
  name: Type.String({ description: 'The StorageVersionMigration.' }),
  state: stringEnum(STORAGE_MIGRATION_STATES),
  resourceVersion: Type.Optional(Type.String({ description: 'What the migration covers: every object at or below this resourceVersion.' })),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  message: Type.Optional(Type.String({ maxLength: 1024, description: 'What kube-controller-manager said of a migration that failed.' })),
}), { description, maxItems: 64 });

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  phase: Type.Optional(stringEnum(PHASES, { description: 'The step under way (Pruned once the last rotation finished, Idle before the first).' })),
  currentKey: Type.Optional(Type.String({ description: 'The name (never the material) of the key that encrypts writes.' })),
  previousKeys: Type.Optional(Type.Array(Type.String(), { description: 'Names of earlier keys still kept for reading.' })),
  lastRotationTime: Type.Optional(Type.String({ format: 'date-time' })),
  nextRotationTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastMigration: Type.Optional(Type.Object({
    path: Type.Optional(migrationPath),
    objectsChecked: Type.Optional(Type.Integer({ minimum: 0, description: 'InProcess: objects of spec.resources the first re-encryption pass read and wrote back, each counted once.' })),
    objectsRewritten: Type.Optional(Type.Integer({
      minimum: 0,
      description: 'InProcess: of those, the objects the first pass found under an old key (or unencrypted), which the apiserver stored anew. '
        + 'What a page cut short by a restart had rewritten is under the new key when the page is read again, and is not counted.',
    })),
    durationSeconds: Type.Number({ minimum: 0 }),
    resources: Type.Optional(storageMigrations('StorageVersionMigration: how each resource\'s migration ended.')),
  }, { description: 'The re-encryption of the last completed rotation.' })),
  lastRollbackTime: Type.Optional(Type.String({ format: 'date-time', description: 'When a rotation was last taken back; the next one waits for the schedule or a manual run.' })),
  lastKeyGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The highest key generation ever created: key names are never reused.' })),
  lastRotateNow: Type.Optional(Type.String({ description: 'The palisade.dev/rotate-now value the last manual run answered.' })),
  rotation: Type.Optional(Type.Object({
    key: Type.String({ description: 'The key being rotated in (its name; never its material).' }),
    startedAt: Type.String({ format: 'date-time' }),
    stagedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the key was staged for reading: the stage gate times out from here.' })),
    migrationPath: Type.Optional(migrationPath),
    writeKeyRevision: Type.Optional(Type.String({
      maxLength: 64,
      description: 'A resourceVersion read once every apiserver reported the new key first: everything written after it is under the new key. '
        + 'A StorageVersionMigration whose status.resourceVersion is not below it covers everything written before.',
    })),
    storageVersionMigrations: Type.Optional(storageMigrations('StorageVersionMigration: one per resource, as kube-controller-manager reports it.')),
    migration: Type.Optional(Type.Object({
      pass: Type.Integer({ minimum: 1, description: 'Pass 1 rewrites; a later pass must rewrite nothing.' }),
      resource: Type.Integer({ minimum: 0, description: 'Index into spec.resources of the resource being rewritten.' }),
      continue: Type.Optional(Type.String({ description: 'Where the paged list resumes after a restart.' })),
      checked: Type.Optional(Type.Integer({ minimum: 0, description: 'Objects this pass read and wrote back so far, page by recorded page; from 0 again when the pass starts over.' })),
      rewritten: Type.Integer({ minimum: 0, description: 'Objects this pass found under an old key (or unencrypted), which the apiserver stored anew.' }),
      firstPassChecked: Type.Optional(Type.Integer({ minimum: 0, description: 'checked of pass 1.' })),
      firstPassRewritten: Type.Optional(Type.Integer({ minimum: 0, description: 'rewritten of pass 1.' })),
      startedAt: Type.String({ format: 'date-time' }),
      verifiedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When a pass first rewrote nothing.' })),
    }, { description: 'InProcess: the checkpoint of the re-encryption.' })),
  }, { description: 'The rotation under way: the write-ahead record every pass resumes from.' })),
});
export type KeyRotationScheduleStatus = Static<typeof status>;

export const keyRotationSchedule: KindDefinition = {
  kind: 'KeyRotationSchedule',
  plural: 'keyrotationschedules',
  shortNames: ['krs'],
  scope: 'Cluster',
  description: 'Rotates the kube-apiserver encryption-at-rest keys on a schedule: stage, promote, re-encrypt, prune.',
  spec,
  status,
  conditions: [
    { type: 'Ready', meaning: 'No rotation is under way and the current key encrypts writes (False: rotating, InvalidSpec naming the field, OperatorConfiguration naming the operator flag it lacks, or MigrationNotPermitted naming the role to install where the operator must re-encrypt itself).' },
    { type: 'Rotating', meaning: 'A rotation is under way; the reason is its phase, the message the gate it waits for.' },
    { type: 'Degraded', meaning: 'A step failed (it is retried with backoff; MigrationFailed quotes a StorageVersionMigration that failed), the spec is invalid, or the operator lacks a setting or permission it needs.' },
  ],
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Current key', type: 'string', jsonPath: '.status.currentKey' },
    { name: 'Last rotation', type: 'date', jsonPath: '.status.lastRotationTime' },
    // A string: kubectl prints a date in the future as <invalid>.
    { name: 'Next rotation', type: 'string', jsonPath: '.status.nextRotationTime' },
    readyColumn,
  ],
};
