// Re-encryption in process, where the cluster does not serve storagemigration.k8s.io/v1 (and
// only with the optional role config/rbac/legacy-migration): every object of a resource read and
// written back unchanged. The API server rewrites an object only when an old key (or identity)
// decrypted it, so a pass over migrated data changes no resourceVersion: the count of changed
// ones is the proof. Objects travel through memory page by page and are never logged.
import { ApiError, isGone, type KubeClient, type KubeObject, type Resource } from '../../runtime/client.ts';
import { inParallel } from '../../runtime/parallel.ts';
import { groupResource } from './encryption-config.ts';
import type { Page } from './plan.ts';

export const PAGE_SIZE = 100;
const IN_FLIGHT = 8;

/** `secrets` is core; `widgets.example.com` is found in its group at the preferred version. */
export async function resolveResource(client: KubeClient, name: string): Promise<Resource> {
  const { group, resource } = groupResource(name);
  if (!group) return { group, version: 'v1', kind: '', resource, namespaced: true };
  const discovery = await client.discover<{ preferredVersion: { version: string } }>(`/apis/${group}`);
  return { group, version: discovery.preferredVersion.version, kind: '', resource, namespaced: true };
}

/**
 * Rewrites one page from `token` on: how many objects it read and wrote back, how many of those
 * changed, and where the next page starts; or that the token has expired.
 */
export async function migratePage(client: KubeClient, resource: Resource, token: string | undefined): Promise<Page> {
  let page;
  try {
    page = await client.list<KubeObject>(resource, { limit: PAGE_SIZE, continue: token });
  } catch (error) {
    // The token outlived etcd's history: the pass starts over (rewriting twice is harmless).
    if (token && isGone(error)) return { expired: true };
    throw error;
  }
  const list = page as typeof page & { kind?: string; apiVersion?: string };
  const kind = list.kind?.replace(/List$/, '');
  const items = page.items ?? [];
  let rewritten = 0;
  await inParallel(items, IN_FLIGHT, async (object) => {
    if (await rewrite(client, resource, { ...object, apiVersion: list.apiVersion, kind })) rewritten++;
  });
  return { checked: items.length, rewritten, continue: page.metadata.continue || undefined };
}

async function rewrite(client: KubeClient, resource: Resource, object: KubeObject): Promise<boolean> {
  const { resourceVersion } = object.metadata;
  try {
    const written = await client.update<KubeObject>(resource, object);
    return written.metadata.resourceVersion !== resourceVersion;
  } catch (error) {
    // Changed or deleted meanwhile: whoever did that wrote it with the current key.
    if (error instanceof ApiError && (error.code === 409 || error.code === 404)) return false;
    throw error;
  }
}
