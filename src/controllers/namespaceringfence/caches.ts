// How much of the cluster the ringfence controller caches: what it generates, and of the other
// RoleBindings only what AccessDrift reads, as one short string each. Memory then follows the
// ringfences, not the cluster: 25,000 RoleBindings of other tools cost a few MiB.
import { identity } from '../../runtime/cache-shape.ts';
import type { KubeObject } from '../../runtime/client.ts';
import type { CacheView } from '../../runtime/manager.ts';
import type { ForeignBinding } from './decide.ts';
import { MANAGED_BY_LABEL } from '../../kubernetes/objects.ts';

/** What this controller generates carries its label: not every NetworkPolicy and RoleBinding of the cluster. */
export const GENERATED: CacheView = { labelSelector: `${MANAGED_BY_LABEL}=palisade` };

type Subject = { kind: string; name: string; namespace?: string };
/** A RoleBinding as AccessDrift reads it: whom it binds to what, as JSON of tuples (no key names, no apiGroup). */
export type Grant = KubeObject & { grant: string };

function grantOf(binding: KubeObject): Grant {
  const { roleRef, subjects = [] } = binding as KubeObject & Omit<ForeignBinding, 'metadata'>;
  const grant = JSON.stringify([roleRef.kind, roleRef.name, subjects.map(({ kind, name, namespace }: Subject) => [kind, namespace ?? '', name])]);
  return { metadata: identity(binding), grant };
}

/** The binding a cached grant stands for, as decide reads it. */
export function bindingOf({ metadata, grant }: Grant): ForeignBinding {
  const [kind, name, subjects] = JSON.parse(grant) as [string, string, [string, string, string][]];
  return {
    metadata: { name: metadata.name }, roleRef: { kind, name },
    subjects: subjects.map(([subjectKind, namespace, subjectName]) => ({ kind: subjectKind, name: subjectName, ...(namespace ? { namespace } : {}) })),
  };
}

/** The other RoleBindings, for AccessDrift. */
export const OTHER_BINDINGS: CacheView = { labelSelector: `${MANAGED_BY_LABEL}!=palisade`, digest: { name: 'grant', keep: grantOf } };
