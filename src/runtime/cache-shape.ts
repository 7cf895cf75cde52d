// What an informer keeps of each object, so that a cache of 10,000 namespaces' objects fits the
// operator's heap: the parts readers need, and equal parts shared. Objects a controller generates
// are the same in every namespace (the same spec, labels, managed fields), and JSON.parse gives
// each a copy of its own; caching one copy of each value makes the per-object cost little more
// than its identity.
import { createHash } from 'node:crypto';
import type { KubeObject } from './client.ts';
import { FIELD_MANAGER } from './apply.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ManagedFieldsEntry = { manager: string; operation: string; subresource?: string; time?: string; fieldsV1?: Record<string, Json> };

/** A value of a shape no cache reader needs twice: the first object of each content, by digest. */
const pool = new Map<string, WeakRef<object>>();
// A value no cached object refers to any more is collected; its entry goes with it.
const collected = new FinalizationRegistry<string>((key) => {
  if (pool.get(key)?.deref() === undefined) pool.delete(key);
});
/** Short JSON is its own key; longer is keyed by a digest (collision-free in practice, and shorter than the JSON). */
const SHORT_KEY = 64;

/**
 * The cached copy of a value equal to `value`, or `value` itself, frozen, when none is cached. Frozen
 * because every object holding it shares it: a reader that wrote to it would write to them all.
 */
export function shared<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const json = JSON.stringify(value);
  const key = json.length <= SHORT_KEY ? json : createHash('sha256').update(json).digest('base64');
  const cached = pool.get(key)?.deref();
  if (cached) return cached as T;
  deepFreeze(value);
  pool.set(key, new WeakRef(value));
  collected.register(value, key);
  return value;
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value) as unknown[]) if (child !== null && typeof child === 'object') deepFreeze(child);
}

/**
 * Of managedFields, only our own Apply entries (what needsApply reads), without their time, and
 * their fields cut where a list begins: needsApply reads a list as one owned path, and below it
 * the keys name items (an ownerReference's uid, so every namespace's would differ).
 */
function ourManagedFields(entries: ManagedFieldsEntry[] | undefined): ManagedFieldsEntry[] | undefined {
  const ours = entries?.filter((entry) => entry.manager === FIELD_MANAGER && entry.operation === 'Apply');
  return ours?.length ? ours.map(({ time: _, fieldsV1, ...entry }) => ({ ...entry, ...(fieldsV1 ? { fieldsV1: cutAtLists(fieldsV1) } : {}) })) : undefined;
}

function cutAtLists(fields: Record<string, Json>): Record<string, Json> {
  const keys = Object.keys(fields);
  if (keys.some((key) => /^[kvi]:/.test(key))) return {};
  return Object.fromEntries(Object.entries(fields).map(([key, child]): [string, Json] =>
    [key, key.startsWith('f:') && child !== null && typeof child === 'object' && !Array.isArray(child) ? cutAtLists(child) : child]));
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function withoutLastApplied(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!annotations || !(LAST_APPLIED in annotations)) return annotations;
  const { [LAST_APPLIED]: _, ...rest } = annotations;
  return Object.keys(rest).length ? rest : undefined;
}

/**
 * The cache transform every informer of the operator applies: our managed fields only, no
 * kubectl last-applied annotation, and every part but the object's identity shared.
 */
export function shapeForCache<T extends KubeObject>(object: T): T {
  const { apiVersion, kind, metadata, ...content } = object as T & { apiVersion?: string; kind?: string };
  const { labels, annotations, ownerReferences, managedFields, ...identity } = metadata as KubeObject['metadata'] & {
    annotations?: Record<string, string>; ownerReferences?: unknown[]; managedFields?: ManagedFieldsEntry[];
  };
  const kept = {
    labels: shared(labels), annotations: shared(withoutLastApplied(annotations)),
    ownerReferences: shared(ownerReferences), managedFields: shared(ourManagedFields(managedFields)),
  };
  const sharedContent = Object.fromEntries(Object.entries(content).map(([key, value]) => [key, shared(value)]));
  return {
    apiVersion, kind,
    metadata: { ...identity, ...Object.fromEntries(Object.entries(kept).filter(([, value]) => value !== undefined)) },
    ...sharedContent,
  } as unknown as T;
}

/**
 * Of an object, only its identity and `fields` (top level): for caches whose readers read no more,
 * such as other managers' objects, which a cluster may hold by the ten thousand.
 */
export function projection(fields: readonly string[]): <T extends KubeObject>(object: T) => T {
  return <T extends KubeObject>(object: T): T => {
    const { name, namespace, uid, resourceVersion, deletionTimestamp } = object.metadata as KubeObject['metadata'] & { deletionTimestamp?: string };
    const record = object as unknown as Record<string, unknown>;
    return {
      metadata: { name, uid, resourceVersion, ...(namespace === undefined ? {} : { namespace }), ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }) },
      ...Object.fromEntries(fields.filter((field) => field in record).map((field) => [field, record[field]])),
    } as unknown as T;
  };
}
