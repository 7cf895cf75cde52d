// What a cluster offers a rotation for re-encryption, asked of the API: whether it serves
// storagemigration.k8s.io/v1 (then kube-controller-manager rewrites, and the operator needs no
// Secret permission beyond its key store), else whether the operator may rewrite the resources
// itself (the optional role config/rbac/legacy-migration grants that).
import { secrets, selfSubjectAccessReviews, storageVersionMigrations } from '../../kubernetes/resources.ts';
import { ApiError, isNotFound, type KubeClient } from '../../runtime/client.ts';
import { SCHEDULE_LABEL } from './keys.ts';
import type { MigrationPath, Observed, Schedule } from './plan.ts';
import { groupResource } from './encryption-config.ts';
import type { StorageMigrationManifest, StorageMigrationObject } from './storage-migration.ts';

const LEGACY_ROLE = 'config/rbac/legacy-migration';

/**
 * How the cluster re-encrypts for `schedule`, and where that stands: on the built-in path while a
 * rotation is under way, the schedule's migrations, and until the rotation recorded one, a
 * revision read now; on the other, what the operator may not do.
 */
export async function migrationState(client: KubeClient, schedule: Schedule, resources: readonly string[]): Promise<MigrationState> {
  const path = await migrationPath(client);
  if (path === 'InProcess') return { migrationPath: path, inProcessRefused: await inProcessRefusal(client, resources), storageMigrations: [] };
  const rotation = schedule.status?.rotation;
  return {
    migrationPath: path,
    storageMigrations: rotation ? await listStorageMigrations(client, schedule.metadata.name) : [],
    revision: rotation && !rotation.writeKeyRevision ? await secretsRevision(client, schedule.spec.keyStore.namespace) : undefined,
  };
}

type MigrationState = Pick<Observed, 'migrationPath' | 'inProcessRefused' | 'storageMigrations' | 'revision'>;

/** StorageVersionMigration where the API serves it, else InProcess. */
async function migrationPath(client: KubeClient): Promise<MigrationPath> {
  const { group, version, resource } = storageVersionMigrations;
  try {
    const served = await client.discover<{ resources?: { name: string }[] }>(`/apis/${group}/${version}`);
    return served.resources?.some((r) => r.name === resource) ? 'StorageVersionMigration' : 'InProcess';
  } catch (error) {
    if (isNotFound(error)) return 'InProcess';
    throw error;
  }
}

/** What the operator may not do that its own rewrite of `resources` needs, in words; undefined when it may do it all. */
async function inProcessRefusal(client: KubeClient, resources: readonly string[]): Promise<string | undefined> {
  const asked = resources.flatMap((name) => ['list', 'update'].map((verb) => ({ verb, name, ...groupResource(name) })));
  const answers = await Promise.all(asked.map(({ verb, group, resource }) => client.create<{ status?: { allowed?: boolean } }>(selfSubjectAccessReviews, {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { name: '' },
    spec: { resourceAttributes: { verb, group, resource } },
  })));
  const refused = asked.filter((_, i) => !answers[i]!.status?.allowed).map(({ verb, name }) => `${verb} ${name}`);
  if (!refused.length) return undefined;
  return `storagemigration.k8s.io/v1 is not served here, so the operator rewrites the objects itself, and it may not ${refused.join(', ')} in every namespace: `
    + `install ${LEGACY_ROLE} (kubectl apply -k ${LEGACY_ROLE}), with a rule for each resource beyond secrets`;
}

/**
 * A resourceVersion of Secrets at least as late as every write acknowledged before this call: a
 * consistent list's, of the key store (metadata only). Secrets' own counter, as
 * kube-controller-manager reads it for the migration, even where --etcd-servers-overrides keeps
 * them in an etcd of their own.
 */
async function secretsRevision(client: KubeClient, keyStore: string): Promise<string> {
  return (await client.list(secrets, { namespace: keyStore, limit: 1 }, { metadataOnly: true })).metadata.resourceVersion;
}

async function listStorageMigrations(client: KubeClient, schedule: string): Promise<StorageMigrationObject[]> {
  return (await client.list<StorageMigrationObject>(storageVersionMigrations, { labelSelector: `${SCHEDULE_LABEL}=${schedule}` })).items ?? [];
}

export async function createStorageMigration(client: KubeClient, migration: StorageMigrationManifest): Promise<void> {
  try {
    await client.create(storageVersionMigrations, migration);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 409)) throw error;
    // Made by a pass that did not live to see it: the next pass finds it. Anyone else's holds the name.
    const { name, labels } = migration.metadata;
    const [existing] = (await client.list(storageVersionMigrations, { fieldSelector: `metadata.name=${name}` })).items ?? [];
    if (existing && existing.metadata.labels?.[SCHEDULE_LABEL] !== labels[SCHEDULE_LABEL]) {
      throw new Error(`StorageVersionMigration ${name} exists and is not this schedule's: delete it, or rename the schedule`, { cause: error });
    }
  }
}

export const deleteStorageMigration = (client: KubeClient, name: string) => client.delete(storageVersionMigrations, name);
