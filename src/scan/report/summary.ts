// What every report counts, and findings matched to the object they are on.
import type { Finding, ScannedObject, ScanResult } from '../types.ts';

export interface Summary {
  objects: number;
  withFindings: number;
  error: number;
  warning: number;
  suppressed: number;
}

const objectKey = (ref: Finding['object'], location: Finding['location']) =>
  `${location.file}\u0000${location.document}\u0000${ref.kind}\u0000${ref.namespace ?? ''}\u0000${ref.name}`;

/** Each object's findings, in the result's order; one pass over each list. */
export function groupByObject(result: ScanResult): Map<ScannedObject, Finding[]> {
  const byKey = new Map<string, ScannedObject>(result.objects.map((object) => [objectKey(object.object, object.location), object]));
  const groups = new Map<ScannedObject, Finding[]>();
  for (const finding of result.findings) {
    const object = byKey.get(objectKey(finding.object, finding.location));
    if (!object) continue;
    const group = groups.get(object);
    if (group) group.push(finding);
    else groups.set(object, [finding]);
  }
  return groups;
}

export function summary(result: ScanResult): Summary {
  const active = result.findings.filter((finding) => finding.suppressed === undefined);
  return {
    objects: result.objects.length,
    withFindings: groupByObject({ ...result, findings: active }).size,
    error: active.filter((finding) => finding.severity === 'error').length,
    warning: active.filter((finding) => finding.severity === 'warning').length,
    suppressed: result.findings.length - active.length,
  };
}
