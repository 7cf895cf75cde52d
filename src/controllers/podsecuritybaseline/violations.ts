// What the API server's Pod Security admission says when a namespace's enforce level would
// change: one warning per distinct set of failed checks, naming the first pod and counting the
// rest ("web-1 (and 2 other pods): privileged, runAsNonRoot != true"), plus a warning when it
// could not check every pod in time. Read from a server-side dry run, so the real evaluator judges;
// each reason is reported as its check ID (pss/privileged), as `palisade scan` names it.
import { checkOfReason } from '../../podsecurity/index.ts';
import type { LevelVersion } from '../../podsecurity/namespace-policy.ts';

export const MAX_PODS_LISTED = 10;

export interface NamespaceViolations {
  /** Every violating pod the server counted. */
  total: number;
  /** The first pods by name, with the checks they fail: pss/<CheckID>, or admission's reason for a check this version does not know. */
  pods: { name: string; checks: string[] }[];
  /** False when the server checked only some pods (too many, or out of time): then nothing is proven. */
  complete: boolean;
}

const POD_WARNING = /^([a-z0-9][-a-z0-9.]*)(?: \(and (\d+) other pods?\))?: (.+)$/;
const PARTIAL_CHECK = /^new PodSecurity enforce level only checked against the first \d+ of \d+ existing pods$/;
const LIST_FAILED = 'failed to list pods while checking new PodSecurity enforce level';

/** The violations in the warnings of a dry run of `enforce`. */
export function parseViolations(warnings: string[], enforce: LevelVersion): NamespaceViolations {
  const pods: NamespaceViolations['pods'] = [];
  let total = 0;
  let complete = true;
  for (const warning of warnings) {
    if (PARTIAL_CHECK.test(warning) || warning === LIST_FAILED) complete = false;
    const match = POD_WARNING.exec(warning);
    if (!match) continue;
    total += 1 + Number(match[2] ?? 0);
    const checks = match[3]!.split(', ').map((reason) => checkOfReason(reason, enforce.level, enforce.version) ?? reason);
    pods.push({ name: match[1]!, checks });
  }
  pods.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { total, pods: pods.slice(0, MAX_PODS_LISTED), complete };
}

export const noViolations = (violations: NamespaceViolations) => violations.complete && violations.total === 0;

export const worthReporting = (violations: NamespaceViolations | undefined) =>
  (violations && !noViolations(violations) ? violations : undefined);
