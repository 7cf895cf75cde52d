// KeyRotationSchedule: scheduled, crash-safe rotation of the kube-apiserver encryption-at-rest keys.
import { readyColumn, type KindDefinition } from './crd.ts';
import {
  Type, type Static, cel, conditions, namespaceName, observedGeneration, stringEnum, stringSet,
} from './schema.ts';

export const PROVIDERS = ['aescbc', 'aesgcm', 'secretbox', 'kms'] as const;
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

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  phase: Type.Optional(stringEnum(PHASES, { description: 'The step under way (Pruned once the last rotation finished, Idle before the first).' })),
  currentKey: Type.Optional(Type.String({ description: 'The name (never the material) of the key that encrypts writes.' })),
  previousKeys: Type.Optional(Type.Array(Type.String(), { description: 'Names of earlier keys still kept for reading.' })),
  lastRotationTime: Type.Optional(Type.String({ format: 'date-time' })),
  nextRotationTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastMigration: Type.Optional(Type.Object({
    objectsChecked: Type.Optional(Type.Integer({ minimum: 0, description: 'Objects of spec.resources the first re-encryption pass read and wrote back, each counted once.' })),
    objectsRewritten: Type.Integer({
      minimum: 0,
      description: 'Of those, the objects the first pass found under an old key (or unencrypted), which the apiserver stored anew. '
        + 'What a page cut short by a restart had rewritten is under the new key when the page is read again, and is not counted.',
    }),
    durationSeconds: Type.Number({ minimum: 0 }),
  }, { description: 'The re-encryption of the last completed rotation.' })),
  lastRollbackTime: Type.Optional(Type.String({ format: 'date-time', description: 'When a rotation was last taken back; the next one waits for the schedule or a manual run.' })),
  lastKeyGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The highest key generation ever created: key names are never reused.' })),
  lastRotateNow: Type.Optional(Type.String({ description: 'The palisade.dev/rotate-now value the last manual run answered.' })),
  rotation: Type.Optional(Type.Object({
    key: Type.String({ description: 'The key being rotated in (its name; never its material).' }),
    startedAt: Type.String({ format: 'date-time' }),
    stagedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the key was staged for reading: the stage gate times out from here.' })),
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
    }, { description: 'The checkpoint of the re-encryption.' })),
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
    { type: 'Ready', meaning: 'No rotation is under way and the current key encrypts writes (False: rotating, InvalidSpec naming the field, or OperatorConfiguration naming the operator flag it lacks).' },
    { type: 'Rotating', meaning: 'A rotation is under way; the reason is its phase, the message the gate it waits for.' },
    { type: 'Degraded', meaning: 'A step failed (it is retried with backoff), the spec is invalid, or the operator lacks a setting it needs.' },
  ],
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Current key', type: 'string', jsonPath: '.status.currentKey' },
    { name: 'Last rotation', type: 'date', jsonPath: '.status.lastRotationTime' },
    { name: 'Next rotation', type: 'date', jsonPath: '.status.nextRotationTime' },
    readyColumn,
  ],
};
