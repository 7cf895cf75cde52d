// Which checks one level and version runs, in the order the module reports them (its
// checkRegistry): at each check its newest revision not newer than the version; for restricted,
// the restricted checks plus the baseline checks none of them overrides; baseline IDs first, each
// group sorted.
import { CHECKS, type Check, type Revision } from './registry.ts';
import type { CheckPod, Level } from './types.ts';

export interface SelectedCheck {
  id: string;
  check: CheckPod;
}

const revisionAt = (check: Check, minor: number): Revision | undefined => check.revisions.findLast((revision) => revision.since <= minor);

function select(level: Level, minor: number): SelectedCheck[] {
  if (level === 'privileged') return [];
  const applying = CHECKS.flatMap((check) => {
    const revision = revisionAt(check, minor);
    return revision && (level === 'restricted' || check.level === 'baseline') ? [{ check, revision }] : [];
  });
  const overridden = new Set(applying.flatMap(({ revision }) => revision.overrides ?? []));
  const byId = (a: { check: Check }, b: { check: Check }) => (a.check.id < b.check.id ? -1 : 1);
  const inGroup = (group: Check['level']) => applying.filter(({ check }) => check.level === group && !overridden.has(check.id)).sort(byId);
  return [...inGroup('baseline'), ...inGroup('restricted')].map(({ check, revision }) => ({ id: check.id, check: revision.check }));
}

const selections = new Map<string, SelectedCheck[]>();

/** The checks `level` runs at v1.`minor`, computed once per level and version. */
export function checksAt(level: Level, minor: number): SelectedCheck[] {
  const key = `${level}/${minor}`;
  let selected = selections.get(key);
  if (!selected) selections.set(key, (selected = select(level, minor)));
  return selected;
}
