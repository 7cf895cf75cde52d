// Palisade's own resources in a scan's input, checked as the API server checks them (their CRD
// schema and CEL rules, src/api/validate.ts). A module of its own: the schemas take a quarter of
// a second to load, which a scan of manifests without any Palisade resource need not pay.
import { API_VERSION, kinds } from '../api/index.ts';
import { validateResource } from '../api/validate.ts';
import type { KubeObject } from '../kubernetes/manifest-objects.ts';

/** What the API server would refuse in a Palisade resource, one field a line. */
export type PalisadeValidator = (object: KubeObject) => string[];

export const validatePalisadeResource: PalisadeValidator = (object) => {
  const kind = kinds.find((candidate) => candidate.kind === object.kind);
  if (!kind) return [`kind ${object.kind} is not served by ${API_VERSION}`];
  try {
    validateResource(kind, object);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n');
  }
};
