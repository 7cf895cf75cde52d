// From admission's words back to its check: a dry run's warnings name failures by ForbiddenReason
// ("privileged", "runAsNonRoot != true"), and PodSecurityBaseline reports them by check ID, as
// `palisade scan` does. A reason is one check's at any one level and version: where two checks
// share one (seccompProfile, procMount), the restricted one overrides the baseline one.
import { CHECKS } from './registry.ts';
import { checksAt } from './selection.ts';
import type { Level } from './types.ts';
import { minorOf } from './version.ts';

const reasonsOf = new Map(CHECKS.map((check) => [check.id, check.reasons]));

/** `pss/<CheckID>` of the check that gives `reason` at `level` and `version`; undefined for a reason this module does not know. */
export function checkOfReason(reason: string, level: Level, version: string): string | undefined {
  const check = checksAt(level, minorOf(version)).find(({ id }) => reasonsOf.get(id)!.includes(reason));
  return check && `pss/${check.id}`;
}
