// How much of the cluster the ringfence controller caches: what it generates, and of the other
// RoleBindings only what AccessDrift reads. Memory then follows the ringfences, not the cluster.
import type { CacheView } from '../../runtime/manager.ts';
import { MANAGED_BY_LABEL } from './render.ts';

/** What this controller generates carries its label: not every NetworkPolicy and RoleBinding of the cluster. */
export const GENERATED: CacheView = { labelSelector: `${MANAGED_BY_LABEL}=palisade` };
/** The other RoleBindings, for AccessDrift: whom they bind to what, and nothing else. */
export const OTHER_BINDINGS: CacheView = { labelSelector: `${MANAGED_BY_LABEL}!=palisade`, fields: ['roleRef', 'subjects'] };
