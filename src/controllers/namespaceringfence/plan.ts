// What a reconcile of one ringfence should do, decided from its spec and what the caches hold:
// which objects to apply and delete, and the status to report. Pure, so that it is unit-tested
// and the reconcile around it stays thin.
import type { NamespaceRingfenceStatus } from '../../api/namespaceringfence.ts';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { NetworkPolicy, RoleBinding } from './objects.ts';
import { FieldError } from '../../api/field-error.ts';
import { render, type Ringfence } from './render.ts';

export interface ObservedRingfence extends Ringfence {
  metadata: Ringfence['metadata'] & { uid: string; generation?: number; creationTimestamp?: string };
  status?: NamespaceRingfenceStatus & { conditions?: Condition[] };
}

interface Named {
  metadata: { name: string };
}

export interface ForeignBinding {
  metadata: { name: string };
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export interface Observed {
  /** Every ringfence in the namespace, this one included. */
  ringfences: ObservedRingfence[];
  /** Names of the namespaces that exist. */
  namespaceExists: (name: string) => boolean;
  /** The NetworkPolicies and RoleBindings this ringfence generated before (by label). */
  ownedNetworkPolicies: Named[];
  ownedRoleBindings: Named[];
  /** The other RoleBindings of the namespace. */
  foreignBindings: ForeignBinding[];
}

export interface Plan {
  apply: (NetworkPolicy | RoleBinding)[];
  delete: { kind: 'NetworkPolicy' | 'RoleBinding'; name: string }[];
  status: NamespaceRingfenceStatus;
  /** A Warning event to record, when the ringfence cannot be enforced. */
  warning?: { reason: string; note: string };
}

const byAge = (a: ObservedRingfence, b: ObservedRingfence) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

export function plan(ringfence: ObservedRingfence, observed: Observed): Plan {
  const generation = ringfence.metadata.generation;
  let conditions = ringfence.status?.conditions ?? [];
  const set = (...updates: ConditionUpdate[]) => {
    for (const update of updates) conditions = setCondition(conditions, update, generation);
  };
  const removeAll = [
    ...observed.ownedNetworkPolicies.map((o) => ({ kind: 'NetworkPolicy' as const, name: o.metadata.name })),
    ...observed.ownedRoleBindings.map((o) => ({ kind: 'RoleBinding' as const, name: o.metadata.name })),
  ];
  const notApplied = (reason: string, message: string) => {
    set(
      { type: 'Ready', status: 'False', reason, message },
      { type: 'NetworkPoliciesReady', status: 'False', reason, message },
      { type: 'AccessReady', status: 'False', reason, message },
    );
    return { observedGeneration: generation, conditions, policyCount: 0, bindingCount: 0, networkPolicies: [], roleBindings: [] };
  };

  const [first] = [...observed.ringfences].sort(byAge);
  if (first && first.metadata.uid !== ringfence.metadata.uid) {
    const note = `namespace ${ringfence.metadata.namespace} is already fenced by NamespaceRingfence ${first.metadata.name}; this one generates nothing`;
    return { apply: [], delete: removeAll, status: notApplied('Conflict', note), warning: { reason: 'Conflict', note } };
  }

  let desired;
  try {
    desired = render(ringfence);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return { apply: [], delete: [], status: notApplied('InvalidSpec', error.message), warning: { reason: 'InvalidSpec', note: error.message } };
  }

  const missingNamespaces = [...new Set([...(ringfence.spec.ingress?.from ?? []), ...(ringfence.spec.egress?.to ?? [])]
    .flatMap((peer) => peer.namespaces ?? []))].filter((name) => !observed.namespaceExists(name)).sort();
  const drift = accessDrift(ringfence, observed.foreignBindings);
  set(drift.length
    ? { type: 'AccessDrift', status: 'True', reason: 'ForeignBindings', message: truncate(drift.join('; ')) }
    : { type: 'AccessDrift', status: 'False', reason: 'NoForeignBindings', message: 'no other RoleBinding grants access here' });

  const policyNames = desired.networkPolicies.map((p) => p.metadata.name);
  const bindingNames = desired.roleBindings.map((b) => b.metadata.name);
  const missing = missingNamespaces.length ? `; peer namespaces not found (their rules are in place): ${missingNamespaces.join(', ')}` : '';

  if ((ringfence.spec.mode ?? 'Enforce') === 'DryRun') {
    const message = `DryRun: ${policyNames.length} NetworkPolicies and ${bindingNames.length} RoleBindings would be applied${missing}`;
    set(
      { type: 'Ready', status: 'True', reason: 'DryRun', message },
      { type: 'NetworkPoliciesReady', status: 'False', reason: 'DryRun', message: 'nothing is applied in DryRun' },
      { type: 'AccessReady', status: 'False', reason: 'DryRun', message: 'nothing is applied in DryRun' },
    );
    return {
      apply: [], delete: removeAll,
      status: {
        observedGeneration: generation, conditions, policyCount: 0, bindingCount: 0, networkPolicies: [], roleBindings: [], missingNamespaces,
        planned: [...policyNames.map((name) => ({ kind: 'NetworkPolicy', name })), ...bindingNames.map((name) => ({ kind: 'RoleBinding', name }))],
      },
    };
  }

  set(
    { type: 'NetworkPoliciesReady', status: 'True', reason: 'Applied', message: `${policyNames.length} NetworkPolicies applied${missing}` },
    { type: 'AccessReady', status: 'True', reason: 'Applied', message: `${bindingNames.length} RoleBindings applied` },
    { type: 'Ready', status: 'True', reason: 'Applied', message: `namespace ${ringfence.metadata.namespace} is fenced in${missing}` },
  );
  return {
    apply: [...desired.networkPolicies, ...desired.roleBindings],
    delete: removeAll.filter(({ kind, name }) => !(kind === 'NetworkPolicy' ? policyNames : bindingNames).includes(name)),
    status: {
      observedGeneration: generation, conditions, policyCount: policyNames.length, bindingCount: bindingNames.length,
      networkPolicies: policyNames, roleBindings: bindingNames, missingNamespaces,
    },
  };
}

/** Other RoleBindings that grant access to subjects the ringfence does not list. */
function accessDrift(ringfence: Ringfence, bindings: ForeignBinding[]): string[] {
  const access = ringfence.spec.access;
  if (!access) return [];
  const key = (s: { kind: string; name: string; namespace?: string }) => `${s.kind}/${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
  const listed = new Set([...(access.admins ?? []), ...(access.editors ?? []), ...(access.viewers ?? [])].map(key));
  return bindings.flatMap((binding) => {
    const outside = (binding.subjects ?? []).filter((subject) => !listed.has(key(subject)));
    return outside.length
      ? [`RoleBinding ${binding.metadata.name} grants ${binding.roleRef.kind} ${binding.roleRef.name} to ${outside.map(key).join(', ')}`]
      : [];
  }).sort();
}

const truncate = (message: string) => (message.length > 1024 ? `${message.slice(0, 1000)}… (truncated)` : message);
