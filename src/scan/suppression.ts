// palisade.dev/scan-ignore: "pss/hostPorts=<reason>; palisade/image-without-digest=<reason>", on
// the object or its pod template. The reason is required and stays in every report, so that a
// reviewer sees what was waived and why; an entry without one waives nothing and is a finding.
import type { FieldPath } from '../api/manifest-lines.ts';
import type { Issue } from './checks/check.ts';
import { podTemplate, type KubeObject } from '../kubernetes/manifest-objects.ts';
import { PALISADE_RULES as R, ruleById } from './rules.ts';

export const IGNORE_ANNOTATION = 'palisade.dev/scan-ignore';

export interface Suppressions {
  /** Rule ID to the reason given. */
  reasons: Map<string, string>;
  /** Entries that waive nothing: no reason, or no such rule. */
  issues: Issue[];
}

function parse(value: string, path: FieldPath, into: Suppressions): void {
  for (const entry of value.split(';').map((part) => part.trim()).filter((part) => part !== '')) {
    const separator = entry.indexOf('=');
    const id = (separator === -1 ? entry : entry.slice(0, separator)).trim();
    const reason = separator === -1 ? '' : entry.slice(separator + 1).trim();
    if (id === R.invalidIgnore.id) into.issues.push({ rule: R.invalidIgnore, message: `${IGNORE_ANNOTATION} cannot waive ${id}: fix the entry instead`, path });
    else if (!ruleById(id)) into.issues.push({ rule: R.invalidIgnore, message: `${IGNORE_ANNOTATION} names ${id}, which is no rule of palisade scan`, path });
    else if (reason === '') into.issues.push({ rule: R.invalidIgnore, message: `${IGNORE_ANNOTATION} waives ${id} without a reason: write ${id}=<why>`, path });
    else into.reasons.set(id, reason);
  }
}

/** What the object's and its pod template's annotations waive; never their own invalid entries. */
export function suppressionsOf(object: KubeObject): Suppressions {
  const suppressions: Suppressions = { reasons: new Map(), issues: [] };
  const own = object.metadata?.annotations?.[IGNORE_ANNOTATION];
  if (typeof own === 'string') parse(own, ['metadata', 'annotations', IGNORE_ANNOTATION], suppressions);
  const template = podTemplate(object);
  const templated = template && template.path.length > 0 ? template.metadata.annotations?.[IGNORE_ANNOTATION] : undefined;
  if (typeof templated === 'string') parse(templated, [...template!.path, 'metadata', 'annotations', IGNORE_ANNOTATION], suppressions);
  return suppressions;
}
