// What this process has found out about each namespace since it started: the last dry run's
// violations and the last labelling failure. A baseline's status is written only from namespaces
// looked at since the start, so that a restart never reports figures it has not observed (such as
// no violations where enforcement is held back) only to correct them a moment later.
import type { NamespaceViolations } from './violations.ts';

export class NamespaceFindings {
  readonly violations = new Map<string, NamespaceViolations>();
  readonly failures = new Map<string, string>();
  private readonly observed = new Set<string>();
  private readonly changed: (namespace: string) => void;

  /** `changed` is told of a namespace whose findings changed, or that was looked at for the first time. */
  constructor(changed: (namespace: string) => void) {
    this.changed = changed;
  }

  hasObserved(namespace: string): boolean {
    return this.observed.has(namespace);
  }

  /** One pass over the namespace ended: what its dry run found (if anything is worth reporting) and its failure, if any. */
  record(namespace: string, found: { violations?: NamespaceViolations | undefined; failure?: string | undefined }): void {
    const first = !this.observed.has(namespace);
    this.observed.add(namespace);
    const changed = [set(this.violations, namespace, found.violations), set(this.failures, namespace, found.failure)].some(Boolean);
    if (first || changed) this.changed(namespace);
  }

  forget(namespace: string): void {
    this.observed.delete(namespace);
    this.violations.delete(namespace);
    this.failures.delete(namespace);
  }
}

/** Sets or clears one entry; true when that changed it. */
function set<T>(map: Map<string, T>, key: string, value: T | undefined): boolean {
  if (JSON.stringify(map.get(key)) === JSON.stringify(value)) return false;
  if (value === undefined) map.delete(key);
  else map.set(key, value);
  return true;
}
