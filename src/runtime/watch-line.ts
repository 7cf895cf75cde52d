// What a watch event's line says of its object before it is parsed: enough for an informer to
// see the echo of a write it already holds (Informer.assume) and skip parsing it, which for an
// operator's own writes is most of what its watches deliver.

/**
 * kube-apiserver writes a built-in object's metadata, and any object's metadata alone
 * (PartialObjectMetadata), in ObjectMeta's field order (name, generateName, namespace, selfLink,
 * uid, resourceVersion, …), and none of the fields before uid can hold a brace or a bare quote. A
 * whole custom resource's keys come sorted (resourceVersion before uid, after nested objects): no
 * match, and its line is parsed.
 */
const CHANGE_HEAD = /^\{"type":"(?:ADDED|MODIFIED)","object":\{(?:"kind":"[^"]*",)?(?:"apiVersion":"[^"]*",)?"metadata":\{[^{}]*?"uid":"([^"\\]+)","resourceVersion":"([^"\\]+)"/;

/** The uid and resourceVersion of an ADDED or MODIFIED event's object, when its line shows them in this order; else undefined. */
export function changeHead(line: string): { uid: string; resourceVersion: string } | undefined {
  const match = CHANGE_HEAD.exec(line);
  return match ? { uid: match[1]!, resourceVersion: match[2]! } : undefined;
}
