// A baseline's status from what the namespaces' labels show now, the last dry-run findings and
// the last failures: counts, violations, where another baseline wins, and the conditions.
import type { PodSecurityBaselineStatus } from '../../api/podsecuritybaseline.ts';
import { setCondition, type Condition } from '../../runtime/conditions.ts';
import {
  effectivePolicy, liveEnforce, sameLevelVersion, selects, type Baseline, type EffectivePolicy, type Mode, type NamespaceView,
} from '../../podsecurity/namespace-policy.ts';
import type { NamespaceViolations } from './violations.ts';
import { PSA_MODES } from '../../podsecurity/namespace-policy.ts';

export const MAX_NAMESPACES_LISTED = 100;

export interface Observed {
  namespaces: NamespaceView[];
  /** Every baseline not being deleted: overlaps are decided among them. */
  baselines: Baseline[];
  operatorNamespace: string;
  violations: ReadonlyMap<string, NamespaceViolations>;
  /** The last failure to label a namespace, by namespace; cleared by a success. */
  failures: ReadonlyMap<string, string>;
}

export type StatusBaseline = Baseline & { metadata: { generation?: number }; status?: { conditions?: Condition[] } };

/** The namespaces a baseline selects, but those being deleted: what its status counts. */
export const selectedNamespaces = (baseline: Baseline, { namespaces, operatorNamespace }: Pick<Observed, 'namespaces' | 'operatorNamespace'>) =>
  namespaces.filter((ns) => !ns.metadata.deletionTimestamp && selects(baseline, ns, operatorNamespace));

/**
 * The policy in force for each set of baselines selecting a namespace, worked out once per set: a
 * status counts thousands of namespaces, and a handful of sets covers them.
 */
function policiesBySelecting(observed: Observed): (ns: NamespaceView) => EffectivePolicy {
  const policies = new Map<string, EffectivePolicy>();
  return (ns) => {
    const selecting = observed.baselines.filter((other) => selects(other, ns, observed.operatorNamespace));
    const key = selecting.map((b) => b.metadata.name).join('\n');
    let policy = policies.get(key);
    if (!policy) policies.set(key, policy = effectivePolicy(selecting)!);
    return policy;
  };
}

/** `matched` is selectedNamespaces(baseline, observed), when the caller has it already. */
export function baselineStatus(baseline: StatusBaseline, observed: Observed, now: Date,
  matched = selectedNamespaces(baseline, observed)): PodSecurityBaselineStatus {
  const { name } = baseline.metadata;
  const policyOf = policiesBySelecting(observed);
  const overridden: { namespace: string; mode: Mode; by: string }[] = [];
  const pending: string[] = [];
  for (const ns of matched) {
    const policy = policyOf(ns);
    for (const mode of PSA_MODES) {
      if (policy.modes[mode].baseline !== name) overridden.push({ namespace: ns.metadata.name, mode, by: policy.modes[mode].baseline });
    }
    // A namespace that cannot be labelled is neither enforced nor waiting for pods: counted as failed
    // alone, so that its labels changing hands (another manager fighting over them) changes no count.
    if (observed.failures.has(ns.metadata.name)) continue;
    if (!sameLevelVersion(liveEnforce(ns.metadata.labels), policy.modes.enforce.value)) pending.push(ns.metadata.name);
  }
  const violations = matched.map((ns) => ns.metadata.name).flatMap((namespace) => {
    const found = observed.violations.get(namespace);
    return found && found.total > 0 ? [{ namespace, total: found.total, pods: found.pods }] : [];
  });
  const failed = matched.map((ns) => ns.metadata.name).filter((ns) => observed.failures.has(ns));
  const violatingPods = violations.reduce((sum, v) => sum + v.total, 0);
  return {
    observedGeneration: baseline.metadata.generation,
    matchedNamespaces: matched.length,
    enforcedNamespaces: matched.length - pending.length - failed.length,
    pendingNamespaces: pending.length,
    violatingPods,
    violations: violations.slice(0, MAX_NAMESPACES_LISTED),
    overridden: overridden.slice(0, MAX_NAMESPACES_LISTED),
    conditions: conditions(baseline, { pending, violatingPods, failed, failures: observed.failures }, now),
  };
}

function conditions(baseline: { metadata: { generation?: number }; status?: { conditions?: Condition[] } },
  facts: { pending: string[]; violatingPods: number; failed: string[]; failures: ReadonlyMap<string, string> }, now: Date): Condition[] {
  const { pending, violatingPods, failed, failures } = facts;
  const generation = baseline.metadata.generation;
  const first = failed[0];
  const degraded = first
    ? { status: 'True' as const, reason: 'LabelingFailed', message: `${failed.length} namespace(s) could not be labelled; ${first}: ${failures.get(first)}` }
    : { status: 'False' as const, reason: 'AsExpected', message: 'Every matched namespace is labelled' };
  const progressing = pending.length
    ? { status: 'True' as const, reason: 'EnforcementPending', message: `Enforcement waits in ${pending.length} namespace(s) (${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', ...' : ''}); ${violatingPods} pod(s) would be rejected` }
    : { status: 'False' as const, reason: 'Enforced', message: 'Enforced in every matched namespace' };
  const ready = first
    ? { status: 'False' as const, reason: 'LabelingFailed', message: degraded.message }
    : pending.length
      ? { status: 'False' as const, reason: 'EnforcementPending', message: progressing.message }
      : { status: 'True' as const, reason: 'Enforced', message: 'Enforced in every matched namespace' };
  let result = baseline.status?.conditions ?? [];
  result = setCondition(result, { type: 'Ready', ...ready }, generation, now);
  result = setCondition(result, { type: 'Progressing', ...progressing }, generation, now);
  return setCondition(result, { type: 'Degraded', ...degraded }, generation, now);
}
