// Which version of a resource the cluster serves, by discovery: for kinds of APIs a cluster may
// serve in one of several versions, or not at all (their CRDs not installed). A group may serve
// other kinds in other versions, so the version's own list must name the resource.
import { isNotFound, type KubeClient, type Resource } from './client.ts';

/** A resource whose version discovery decides: the first of `versions` served. */
export interface VersionedResource extends Omit<Resource, 'version'> {
  versions: readonly string[];
}

export const inVersion = ({ versions: _versions, ...resource }: VersionedResource, version: string): Resource => ({ ...resource, version });

const unlessNotFound = (error: unknown): undefined => {
  if (isNotFound(error)) return undefined;
  throw error;
};

/** The resource in the first of its versions the cluster serves; undefined where it serves none. Other errors throw. */
export async function servedVersion(client: KubeClient, resource: VersionedResource): Promise<Resource | undefined> {
  const group = await client.discover<{ versions?: { version: string }[] }>(`/apis/${resource.group}`).catch(unlessNotFound);
  const offered = new Set((group?.versions ?? []).map(({ version }) => version));
  for (const version of resource.versions.filter((v) => offered.has(v))) {
    const list = await client.discover<{ resources?: { name: string }[] }>(`/apis/${resource.group}/${version}`).catch(unlessNotFound);
    if (list?.resources?.some(({ name }) => name === resource.resource)) return inVersion(resource, version);
  }
  return undefined;
}
