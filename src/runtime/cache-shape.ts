// What an informer keeps of each object, so that a cache of 10,000 namespaces' objects fits the
// operator's heap: the parts readers need, and equal parts shared. Objects a controller generates
// are the same in every namespace (the same spec, labels, managed fields), and JSON.parse gives
// each a copy of its own; caching one copy of each value makes the per-object cost little more
// than its identity.
import { hash } from 'node:crypto';
import type { KubeObject } from './client.ts';
import { FIELD_MANAGER, namesListItem } from './apply.ts';
import { NAMESPACE_NAME_LABEL } from '../kubernetes/objects.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ManagedFieldsEntry = { manager: string; operation: string; subresource?: string; time?: string; fieldsV1?: Record<string, Json> };

/**
 * One copy of each value the caches hold, by content, held weakly: a value no cached object refers
 * to any more is collected. Entries whose value is gone are swept once the pool has doubled since
 * the last sweep: a FinalizationRegistry cell per entry would cost more than the entry.
 */
const pool = new Map<string, WeakRef<object>>();
const MIN_SWEEP = 1024;
let sweepAt = MIN_SWEEP;
/** JSON this short is its own key; longer is keyed by 128 bits of its SHA-256 (no collision in practice, and short). */
const KEY_LENGTH = 22;
const keyOf = (json: string) => (json.length <= KEY_LENGTH ? json : hash('sha256', json, 'base64').slice(0, KEY_LENGTH));

/**
 * The cached copy of a value equal to `value`, or `value` itself, frozen, when none is cached.
 * Frozen because every object holding it shares it: a reader that wrote to it would write to them all.
 */
export function shared<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const key = keyOf(JSON.stringify(value));
  const cached = pool.get(key)?.deref();
  if (cached) return cached as T;
  deepFreeze(value);
  pool.set(key, new WeakRef(value));
  if (pool.size >= sweepAt) sweep();
  return value;
}

function sweep(): void {
  for (const [key, ref] of pool) if (ref.deref() === undefined) pool.delete(key);
  sweepAt = Math.max(MIN_SWEEP, pool.size * 2);
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value) as unknown[]) if (child !== null && typeof child === 'object') deepFreeze(child);
}

/** One string per apiVersion and kind (a handful in all), not one per cached object. */
const typeNames = new Map<string, string>();
function typeName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!typeNames.has(name)) typeNames.set(name, name);
  return typeNames.get(name);
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
  if (Object.keys(fields).some(namesListItem)) return {};
  return Object.fromEntries(Object.entries(fields).map(([key, child]): [string, Json] =>
    [key, key.startsWith('f:') && child !== null && typeof child === 'object' && !Array.isArray(child) ? cutAtLists(child) : child]));
}

/**
 * A namespace's labels name it (the API server sets its name label on every one): no two are equal,
 * and pooling them would cost a hash and an entry each for nothing.
 */
const ownLabels = (labels: Record<string, string> | undefined) => labels !== undefined && NAMESPACE_NAME_LABEL in labels;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function withoutLastApplied(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!annotations || !(LAST_APPLIED in annotations)) return annotations;
  const { [LAST_APPLIED]: _, ...rest } = annotations;
  return Object.keys(rest).length ? rest : undefined;
}

/**
 * The cache transform every informer of whole objects applies: our managed fields only, no
 * kubectl last-applied annotation, and every part but the identity and the status shared. A status
 * is its object's own (times, counts, messages naming it): a pool entry for it would save nothing.
 */
export function shapeForCache<T extends KubeObject>(object: T): T {
  const { apiVersion, kind, metadata, ...content } = object as T & { apiVersion?: string; kind?: string };
  const { labels, annotations, ownerReferences, managedFields, ...identity } = metadata as KubeObject['metadata'] & {
    annotations?: Record<string, string>; ownerReferences?: unknown[]; managedFields?: ManagedFieldsEntry[];
  };
  const kept = {
    labels: ownLabels(labels) ? labels : shared(labels), annotations: shared(withoutLastApplied(annotations)),
    ownerReferences: shared(ownerReferences), managedFields: shared(ourManagedFields(managedFields)),
  };
  const sharedContent = Object.fromEntries(Object.entries(content).map(([key, value]) => [key, key === 'status' ? value : shared(value)]));
  return {
    apiVersion: typeName(apiVersion), kind: typeName(kind),
    metadata: { ...identity, ...Object.fromEntries(Object.entries(kept).filter(([, value]) => value !== undefined)) },
    ...sharedContent,
  } as unknown as T;
}

/** An object's identity alone (name, namespace, uid, resourceVersion, deletion): what an informer needs of what it caches. */
export function identity({ metadata }: KubeObject): KubeObject['metadata'] {
  const { name, namespace, uid, resourceVersion, deletionTimestamp } = metadata as KubeObject['metadata'] & { deletionTimestamp?: string };
  return { name, uid, resourceVersion, ...(namespace === undefined ? {} : { namespace }), ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }) };
}
