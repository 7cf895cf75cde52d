// Server-side apply with Palisade's field manager, and the check that keeps a reconcile of an
// unchanged object from writing: an apply is needed only when the live object lacks a value we
// want, or we still own a field we no longer want (so the apply would remove it).
import type { KubeClient, KubeObject, Resource } from './client.ts';

export const FIELD_MANAGER = 'palisade';

export interface ApplyOptions {
  /** Take fields over from other managers. Only where a caller documents why. */
  force?: boolean;
  subresource?: 'status';
}

/** What an apply sends: the object's identity and only the fields the applier sets. */
export interface ApplyConfiguration {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string | undefined; labels?: Record<string, string> };
}

export function apply<T extends KubeObject>(client: KubeClient, resource: Resource, desired: ApplyConfiguration, options: ApplyOptions = {}): Promise<T> {
  const { name, namespace } = desired.metadata;
  const verb = options.subresource ? `apply-${options.subresource}` : 'apply';
  return client.patch<T>(resource, { name, namespace, subresource: options.subresource }, desired,
    { type: 'apply', verb, fieldManager: FIELD_MANAGER, force: options.force });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ManagedFields = { manager: string; operation: string; subresource?: string; fieldsV1?: Record<string, Json> }[];

/** Would applying `desired` (an apply configuration) change `live`? */
export function needsApply(desired: ApplyConfiguration, live: KubeObject | undefined, options: ApplyOptions = {}): boolean {
  if (!live) return true;
  const wanted = applyFields(desired, options.subresource);
  if (!contains(pick(live, options.subresource), wanted)) return true;
  const managed = (live.metadata as { managedFields?: ManagedFields }).managedFields?.find((entry) =>
    entry.manager === FIELD_MANAGER && entry.operation === 'Apply' && (entry.subresource ?? '') === (options.subresource ?? ''));
  if (!managed?.fieldsV1) return true;
  return ownedPaths(managed.fieldsV1).some((path) => valueAt(wanted, path) === undefined);
}

/** The part of an apply configuration that sets fields: identity (apiVersion, kind, name, namespace) aside. */
function applyFields(object: ApplyConfiguration, subresource?: string): Record<string, Json> {
  const { apiVersion, kind, metadata, ...rest } = object as unknown as Record<string, Json> & { metadata: Record<string, Json> };
  const { name, namespace, ...meta } = metadata;
  return subresource ? { [subresource]: rest[subresource] ?? {} } : { ...rest, ...(Object.keys(meta).length ? { metadata: meta } : {}) };
}

function pick(live: KubeObject, subresource?: string): Json {
  const object = live as unknown as Record<string, Json>;
  return subresource ? { [subresource]: object[subresource] ?? {} } : object;
}

/** Every value in `want` is in `have`; lists match item by item, so server defaults inside items are allowed. */
function contains(have: Json | undefined, want: Json): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((item, i) => contains(have[i], item));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want).every(([key, value]) => contains(have[key], value));
  }
  return have === want;
}

/** A fieldsV1 key naming a list item (by key, value or index) rather than a field. */
export const namesListItem = (key: string) => key[1] === ':' && (key[0] === 'k' || key[0] === 'v' || key[0] === 'i');

// The fields a managedFields entry owns, as paths of map keys; a list (whose items are owned by
// key or value) or an atomic map ends a path.
function ownedPaths(fields: Record<string, Json>, path: string[] = []): string[][] {
  const children = Object.entries(fields).filter(([key]) => key.startsWith('f:'));
  const isList = Object.keys(fields).some(namesListItem);
  if (children.length === 0 || isList) return [path];
  return children.flatMap(([key, child]) => ownedPaths((child ?? {}) as Record<string, Json>, [...path, key.slice(2)]));
}

function valueAt(value: Json | undefined, path: string[]): Json | undefined {
  return path.reduce<Json | undefined>((node, key) =>
    node !== null && typeof node === 'object' && !Array.isArray(node) ? node[key] : undefined, value);
}
