// The objects of one manifest stream, as a scan reads them: `List`s opened, each object with its
// file, document and line, and a way to find the line of any of its fields.
import { itemLines, lineOf, type FieldPath } from '../api/manifest-lines.ts';
import { readManifests, type ManifestDocument } from '../api/manifests.ts';
import { refOf, type Subject } from './objects.ts';
import { isObject, type KubeObject } from '../kubernetes/manifest-objects.ts';

/** A document a scan cannot read: it names the file, the document and the line. */
export class InputError extends Error {}

/** The value as an object; else an InputError at `where()`, which finds a line only then. */
function asObject(value: unknown, where: () => string): KubeObject {
  if (!isObject(value)) throw new InputError(`${where()}: not an object`);
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '' || typeof value.kind !== 'string' || value.kind === '') {
    throw new InputError(`${where()}: apiVersion and kind must be set`);
  }
  if (value.metadata !== undefined && value.metadata !== null && !isObject(value.metadata)) throw new InputError(`${where()}: metadata must be an object`);
  return value as KubeObject;
}

/** kubectl reads a v1 List (or any *List kind with items) as its items. */
const isList = (object: KubeObject) => object.kind.endsWith('List') && Array.isArray(object.items);

export function subjectsOf(file: string, text: string, defaultNamespace: string): Subject[] {
  let documents: ManifestDocument[];
  try {
    documents = readManifests(text);
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
  return documents.flatMap((document) => {
    const where = (line: number) => `${file}: document ${document.index} (line ${line})`;
    const object = asObject(document.value, () => where(document.line));
    // Lines are found when first asked for: a JSON stream's shape is only read then (readManifests).
    const subject = (value: KubeObject, prefix: FieldPath, line: () => number): Subject => {
      const locate = (path: FieldPath) => lineOf(document.shape, [...prefix, ...path]);
      let location: Subject['location'] | undefined;
      return {
        value, ref: refOf(value, defaultNamespace), lineOf: locate,
        get location() {
          return location ??= { file, document: document.index, line: line() };
        },
      };
    };
    if (!isList(object)) return [subject(object, [], () => lineOf(document.shape, []))];
    let lines: number[] | undefined;
    const lineOfItem = (index: number) => (lines ??= itemLines(document.shape, ['items']))[index]!;
    return (object.items as unknown[]).map((item, index) => subject(asObject(item, () => `${where(lineOfItem(index))}: items[${index}]`), ['items', index], () => lineOfItem(index)));
  });
}

/** Where a live object is: no file, document or line. */
export const CLUSTER_LOCATION = { file: 'cluster', document: 0, line: 0 } as const;

/** Objects read from a cluster, as a scan reads them. */
export const clusterSubjects = (objects: readonly KubeObject[]): Subject[] =>
  objects.map((value) => ({ value, ref: refOf(value, 'default'), location: CLUSTER_LOCATION, lineOf: () => 0, live: true }));
