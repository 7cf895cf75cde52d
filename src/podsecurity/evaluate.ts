// One pod against one Pod Security level and version, with the verdict and messages of the API
// server's own admission (k8s.io/pod-security-admission v0.37.2): pure, no cluster needed.
import { withServerDefaults } from './defaults.ts';
import { checksAt } from './selection.ts';
import type { Level, PodMetadata, PodSpec } from './types.ts';
import { minorOf } from './version.ts';

export interface Policy {
  level: Level;
  /** "latest" or "v1.N". */
  version: string;
  /** The spec is a Pod's own rather than a workload's pod template (see withServerDefaults). */
  podObject?: boolean;
}

/** A failed check: its ID (policy.CheckID), ForbiddenReason and ForbiddenDetail. */
export interface Failure {
  id: string;
  reason: string;
  detail: string;
}

export interface Verdict {
  allowed: boolean;
  /** In the order admission lists them. */
  failures: Failure[];
}

export interface PodLike {
  metadata?: PodMetadata | null;
  spec?: PodSpec | null;
}

export function evaluate(pod: PodLike, policy: Policy): Verdict {
  const metadata = pod.metadata ?? {};
  const spec = withServerDefaults(metadata, pod.spec ?? {}, policy.podObject ?? false);
  const failures = checksAt(policy.level, minorOf(policy.version)).flatMap(({ id, check }) => {
    const result = check(metadata, spec);
    return result.allowed ? [] : [{ id, reason: result.reason, detail: result.detail }];
  });
  return { allowed: failures.length === 0, failures };
}

/** What admission writes after `violates PodSecurity "level:version": `: "host ports (8080), privileged (...)". */
export const forbiddenDetail = (failures: readonly Failure[]): string =>
  failures.map(({ reason, detail }) => (detail === '' ? reason : `${reason} (${detail})`)).join(', ');
