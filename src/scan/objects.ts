// The objects a scan checks: each with where it is written.
import type { FieldPath } from '../api/manifest-lines.ts';
import { namespaceOf, type KubeObject } from '../kubernetes/manifest-objects.ts';
import type { Location, ObjectRef } from './types.ts';

/** An object to check, with where it is written. */
export interface Subject {
  value: KubeObject;
  ref: ObjectRef;
  location: Location;
  /** The line of one of its fields (see lineOf in src/api/manifest-lines.ts); 0 for a live object. */
  lineOf(path: FieldPath): number;
  /** Read from a cluster: the API server admitted it, so it is not checked as input again. */
  live?: boolean;
}

export function refOf(object: KubeObject, defaultNamespace: string): ObjectRef {
  const namespace = namespaceOf(object, defaultNamespace);
  return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name ?? '', ...(namespace ? { namespace } : {}) };
}
