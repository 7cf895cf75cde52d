// What a reconcile of one ClusterRingfence does, decided from its spec, the namespaces it selects,
// the ClusterNetworkPolicies it generated and which effects of the first answer the API server
// refused. Pure (one `now` per pass), so that it is unit-tested and the controller stays wiring.
import type { ClusterRingfenceStatus } from '../../api/clusterringfence.ts';
import { API_VERSION } from '../../api/crd.ts';
import { FieldError } from '../../api/field-error.ts';
import { clusterRingfences } from '../../api/resources.ts';
import type { KubeObject, Resource } from '../../runtime/client.ts';
import type { Condition, ConditionUpdate } from '../../runtime/conditions.ts';
import { failureCondition, type EffectFailure, type Effects } from '../../runtime/effects.ts';
import { byAge, Conditions, driftEvents, failureEvent, warningOnChange } from '../../runtime/reconcile-report.ts';
import { render, type ClusterRingfence, type PolicyRole, type PriorityBand, type Rendered, type SelectedNamespace } from './render.ts';
import { RECHECK_MS, UNSUPPORTED } from './served-api.ts';

export interface ObservedClusterRingfence extends ClusterRingfence, KubeObject {
  metadata: ClusterRingfence['metadata'] & KubeObject['metadata'] & { creationTimestamp?: string };
  status?: ClusterRingfenceStatus & { conditions?: Condition[] };
}

export interface Observed {
  ringfence: ObservedClusterRingfence;
  /** Every ClusterRingfence, this one included: slots are the cluster's to share. */
  ringfences: ObservedClusterRingfence[];
  /** The ClusterNetworkPolicy resource the cluster serves; undefined: none. */
  served: Resource | undefined;
  /** The namespaces it selects, but those being deleted. */
  namespaces: SelectedNamespace[];
  /** The live ClusterNetworkPolicies it generated (its label and its controlling ownerReference). */
  owned: KubeObject[];
  /** The ClusterRingfence that generated a live ClusterNetworkPolicy of this name, if another. */
  claimedBy: (name: string) => string | undefined;
  band: PriorityBand;
  now: Date;
}

export function decide(observed: Observed, failures: readonly EffectFailure[] = []): Effects {
  const { ringfence, served } = observed;
  // Nothing can be written or deleted: only the status says what is missing, and discovery is asked again.
  if (!served) return { ...notApplied(observed, 'Unsupported', UNSUPPORTED, [], failures), requeueAfterMs: RECHECK_MS };
  const slot = ringfence.spec.priority ?? 0;
  const [holder] = observed.ringfences.filter((other) => !other.metadata.deletionTimestamp && (other.spec.priority ?? 0) === slot).sort(byAge);
  if (holder && holder.metadata.uid !== ringfence.metadata.uid) {
    const note = `priority slot ${slot} is taken by ClusterRingfence ${holder.metadata.name}; this one generates nothing`;
    return notApplied(observed, 'Conflict', note, removeAll(observed), failures);
  }
  let desired: Rendered;
  try {
    desired = render(ringfence, observed.namespaces, `${served.group}/${served.version}`, observed.band);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    // What is applied stays: the last valid spec still guards the namespaces.
    return notApplied(observed, 'InvalidSpec', error.message, [], failures, observed.owned);
  }
  return (ringfence.spec.mode ?? 'Enforce') === 'DryRun' ? dryRun(observed, desired, failures) : enforce(observed, desired, failures);
}

/** Applied before the rest: the guardrails, and each tenant's Pass before the isolation that denies what no Pass let through. */
const FIRST: ReadonlySet<PolicyRole> = new Set(['guardrails', 'tenant']);
/**
 * Deleted when the API server refuses their new version, so that an old one does not go on
 * allowing what the spec no longer says: the Accepts, and a tenant's Pass (then the isolation
 * denies). Never the Denies: without them their traffic would be allowed.
 */
const FAIL_CLOSED: ReadonlySet<PolicyRole> = new Set(['allow', 'tenant']);

function enforce(observed: Observed, desired: Rendered, failures: readonly EffectFailure[]): Effects {
  const { ringfence, served } = observed;
  const resource = served!;
  // A name another ringfence's policy has is left to it: overwriting would hand its traffic to this spec.
  const claimed = desired.policies.flatMap((p) => {
    const owner = observed.claimedBy(p.metadata.name);
    return owner ? [`ClusterNetworkPolicy ${p.metadata.name} is ClusterRingfence ${owner}'s`] : [];
  });
  const written = desired.policies.filter((p) => !observed.claimedBy(p.metadata.name));
  const applied = written.map((p) => p.metadata.name).filter((name) => !failures.some((f) => f.name === name));
  const wanted = new Set(desired.policies.map((p) => p.metadata.name));
  const conditions = new Conditions(ringfence, observed.now);
  conditions.set(readyCondition(observed, desired, failures, claimed, applied.length));
  return {
    apply: written.map((object) => {
      const role = desired.roles.get(object.metadata.name)!;
      return { resource, object, force: true, first: FIRST.has(role), failClosed: FAIL_CLOSED.has(role) };
    }),
    delete: removeAll(observed).filter((ref) => !wanted.has(ref.name)),
    status: statusEffect(observed, desired, conditions.list, { policyCount: applied.length, clusterNetworkPolicies: applied }),
    events: [
      ...driftEvents(ringfence, written.filter((p) => applied.includes(p.metadata.name)),
        (object) => observed.owned.find((o) => o.metadata.name === object.metadata.name), ringfence.status?.clusterNetworkPolicies ?? []),
      ...(claimed.length ? warningOnChange(ringfence, 'Conflict', 'Apply', claimed.join('; ')) : []),
      ...failureEvent(ringfence, failures),
    ],
  };
}

function readyCondition(observed: Observed, desired: Rendered, failures: readonly EffectFailure[], claimed: string[], applied: number): ConditionUpdate {
  if (failures.length) return { type: 'Ready', status: 'False', ...failureCondition(failures) };
  if (claimed.length) return { type: 'Ready', status: 'False', reason: 'Conflict', message: `${claimed.join('; ')}: rename one of the ringfences or the tenant` };
  return { type: 'Ready', status: 'True', reason: 'Applied', message: `${applied} ClusterNetworkPolicies applied over ${coverage(observed, desired)}` };
}

function dryRun(observed: Observed, desired: Rendered, failures: readonly EffectFailure[]): Effects {
  const { ringfence } = observed;
  const conditions = new Conditions(ringfence, observed.now);
  // What Enforce applied must go: until it has, the cluster is not as DryRun says.
  conditions.set(failures.length
    ? { type: 'Ready', status: 'False', ...failureCondition(failures) }
    : { type: 'Ready', status: 'True', reason: 'DryRun', message: `${desired.policies.length} ClusterNetworkPolicies would be applied over ${coverage(observed, desired)}` });
  return {
    delete: removeAll(observed),
    status: statusEffect(observed, desired, conditions.list, {
      policyCount: 0, clusterNetworkPolicies: [], planned: desired.policies.map((p) => ({ kind: p.kind, name: p.metadata.name })),
    }),
    events: failureEvent(ringfence, failures),
  };
}

/** Nothing is applied: Unsupported or Conflict (what it generated goes, where it can) or InvalidSpec (what is applied stays). */
function notApplied(observed: Observed, reason: string, note: string, deletes: Effects['delete'], failures: readonly EffectFailure[],
  standing: readonly KubeObject[] = []): Effects {
  const { ringfence } = observed;
  const message = failures.length ? `${note}; ${failureCondition(failures).message}` : note;
  const conditions = new Conditions(ringfence, observed.now);
  conditions.set({ type: 'Ready', status: 'False', reason, message });
  // What still stands, in the priorities it was given, is reported as it is.
  const kept = standing.length ? { adminPriorities: ringfence.status?.adminPriorities, baselinePriority: ringfence.status?.baselinePriority } : {};
  return {
    delete: deletes,
    status: statusEffect(observed, undefined, conditions.list, {
      ...kept, policyCount: standing.length, clusterNetworkPolicies: standing.map((p) => p.metadata.name).sort(),
    }),
    events: [...warningOnChange(ringfence, reason, 'Reconcile', note), ...failureEvent(ringfence, failures)],
  };
}

const coverage = ({ namespaces }: Observed, { tenantCount, adminPriorities }: Rendered) =>
  `${namespaces.length} namespaces${tenantCount ? ` (${tenantCount} tenants)` : ''}, Admin priorities ${adminPriorities}`;

function removeAll({ owned, served }: Observed): NonNullable<Effects['delete']> {
  return served ? owned.map((o) => ({ resource: served, name: o.metadata.name })) : [];
}

type Applied = Pick<ClusterRingfenceStatus, 'policyCount' | 'clusterNetworkPolicies' | 'planned' | 'adminPriorities' | 'baselinePriority'>;

function statusEffect(observed: Observed, desired: Rendered | undefined, conditions: Condition[], applied: Applied): Effects['status'] {
  const { ringfence, served } = observed;
  const status: ClusterRingfenceStatus = {
    observedGeneration: ringfence.metadata.generation, conditions,
    ...(served ? { apiVersion: `${served.group}/${served.version}` } : {}),
    ...(desired ? { adminPriorities: desired.adminPriorities, baselinePriority: desired.baselinePriority, tenantCount: desired.tenantCount } : {}),
    namespaceCount: observed.namespaces.length,
    ...applied,
  };
  return { resource: clusterRingfences, object: { apiVersion: API_VERSION, kind: 'ClusterRingfence', metadata: { name: ringfence.metadata.name }, status } };
}
