// What a reconcile of one ringfence does, decided from its spec, what the caches hold and which
// effects of the first answer the API server refused: the objects to apply and delete, the status,
// and the Events. Pure (one `now` per pass), so that it is unit-tested and the controller stays wiring.
import { API_VERSION } from '../../api/crd.ts';
import { FieldError } from '../../api/field-error.ts';
import type { NamespaceRingfenceStatus } from '../../api/namespaceringfence.ts';
import type { NetworkPolicy, RoleBinding } from '../../kubernetes/objects.ts';
import { networkPolicies, roleBindings } from '../../kubernetes/resources.ts';
import type { KubeObject } from '../../runtime/client.ts';
import type { Condition, ConditionUpdate } from '../../runtime/conditions.ts';
import { failureCondition, truncated, type EffectFailure, type Effects, type EventEffect } from '../../runtime/effects.ts';
import { byAge, Conditions, driftEvents, failureEvent, warningOnChange } from '../../runtime/reconcile-report.ts';
import { ringfences } from '../../api/resources.ts';
import { DEFAULT_DENY, render, type Rendered, type Ringfence } from './render.ts';

export interface ObservedRingfence extends Ringfence, KubeObject {
  metadata: Ringfence['metadata'] & KubeObject['metadata'] & { creationTimestamp?: string };
  status?: NamespaceRingfenceStatus & { conditions?: Condition[] };
}

export interface ForeignBinding {
  metadata: { name: string };
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export interface Observed {
  ringfence: ObservedRingfence;
  /** Every ringfence in the namespace, this one included. */
  ringfences: ObservedRingfence[];
  namespaceExists: (name: string) => boolean;
  /** The live NetworkPolicies and RoleBindings this ringfence generated (by label). */
  ownedNetworkPolicies: KubeObject[];
  ownedRoleBindings: KubeObject[];
  /** The other RoleBindings of the namespace. */
  foreignBindings: ForeignBinding[];
  now: Date;
}

type Generated = NetworkPolicy | RoleBinding;
const resourceOf = { NetworkPolicy: networkPolicies, RoleBinding: roleBindings } as const;

export function decide(observed: Observed, failures: readonly EffectFailure[] = []): Effects {
  const { ringfence } = observed;
  // One being deleted no longer fences the namespace (its objects go with it): the next takes over.
  const [first] = observed.ringfences.filter((other) => !other.metadata.deletionTimestamp).sort(byAge);
  if (first && first.metadata.uid !== ringfence.metadata.uid) {
    const note = `namespace ${ringfence.metadata.namespace} is already fenced by NamespaceRingfence ${first.metadata.name}; this one generates nothing`;
    return notApplied(observed, 'Conflict', note, removeAll(observed), failures);
  }
  let desired: Rendered;
  try {
    desired = render(ringfence);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    // What is applied stays: the last valid spec still fences the namespace.
    return notApplied(observed, 'InvalidSpec', error.message, [], failures);
  }
  return (ringfence.spec.mode ?? 'Enforce') === 'DryRun' ? dryRun(observed, desired, failures) : enforce(observed, desired, failures);
}

function enforce(observed: Observed, desired: Rendered, failures: readonly EffectFailure[]): Effects {
  const { ringfence } = observed;
  const objects: Generated[] = [...desired.networkPolicies, ...desired.roleBindings];
  const failed = (object: { kind: string; name: string }) => failures.some((f) => f.kind === object.kind && f.name === object.name);
  const inPlace = objects.filter((object) => !failed({ kind: object.kind, name: object.metadata.name }));
  const names = (kind: Generated['kind']) => inPlace.filter((o) => o.kind === kind).map((o) => o.metadata.name);
  const missing = missingNamespaces(ringfence, observed.namespaceExists);
  const missingNote = noteMissing(missing);
  const conditions = new Conditions(ringfence, observed.now);
  conditions.set(accessDrift(ringfence, observed.foreignBindings));
  conditions.set(
    partCondition('NetworkPoliciesReady', failures.filter((f) => f.kind === 'NetworkPolicy'), `${names('NetworkPolicy').length} NetworkPolicies applied${missingNote}`),
    partCondition('AccessReady', failures.filter((f) => f.kind === 'RoleBinding'), `${names('RoleBinding').length} RoleBindings applied`),
    readyCondition(ringfence, failures, missingNote),
  );
  const wanted = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  return {
    apply: objects.map((object) => ({
      resource: resourceOf[object.kind], object, force: true,
      // The default deny stands first and stays whatever else fails; an allow the server
      // refuses must not leave its older version allowing what the spec no longer says.
      first: object.metadata.name === DEFAULT_DENY, failClosed: object.metadata.name !== DEFAULT_DENY,
    })),
    delete: removeAll(observed).filter((ref) => !wanted.has(`${ref.resource.kind}/${ref.name}`)),
    status: statusEffect(ringfence, {
      observedGeneration: ringfence.metadata.generation, conditions: conditions.list,
      policyCount: names('NetworkPolicy').length, bindingCount: names('RoleBinding').length,
      networkPolicies: names('NetworkPolicy'), roleBindings: names('RoleBinding'), missingNamespaces: missing,
    }),
    events: [
      ...driftOf(observed, inPlace),
      ...failureEvent(ringfence, failures),
    ],
  };
}

function dryRun(observed: Observed, desired: Rendered, failures: readonly EffectFailure[]): Effects {
  const { ringfence } = observed;
  const policyNames = desired.networkPolicies.map((p) => p.metadata.name);
  const bindingNames = desired.roleBindings.map((b) => b.metadata.name);
  const missing = missingNamespaces(ringfence, observed.namespaceExists);
  const conditions = new Conditions(ringfence, observed.now);
  conditions.set(
    accessDrift(ringfence, observed.foreignBindings),
    { type: 'NetworkPoliciesReady', status: 'False', reason: 'DryRun', message: 'nothing is applied in DryRun' },
    { type: 'AccessReady', status: 'False', reason: 'DryRun', message: 'nothing is applied in DryRun' },
    // What Enforce applied must go: until it has, the namespace is not as DryRun says.
    failures.length
      ? { type: 'Ready', status: 'False', ...failureCondition(failures) }
      : { type: 'Ready', status: 'True', reason: 'DryRun', message: `${policyNames.length} NetworkPolicies and ${bindingNames.length} RoleBindings would be applied${noteMissing(missing)}` },
  );
  return {
    delete: removeAll(observed),
    status: statusEffect(ringfence, {
      observedGeneration: ringfence.metadata.generation, conditions: conditions.list, policyCount: 0, bindingCount: 0,
      networkPolicies: [], roleBindings: [], missingNamespaces: missing,
      planned: [...policyNames.map((name) => ({ kind: 'NetworkPolicy', name })), ...bindingNames.map((name) => ({ kind: 'RoleBinding', name }))],
    }),
    events: failureEvent(ringfence, failures),
  };
}

/** Nothing is applied: Conflict (what it generated goes) or InvalidSpec (what is applied stays). */
function notApplied(observed: Observed, reason: string, note: string, deletes: Effects['delete'], failures: readonly EffectFailure[]): Effects {
  const { ringfence } = observed;
  // Objects it generated that could not be deleted are named: they still stand.
  const message = failures.length ? `${note}; ${failureCondition(failures).message}` : note;
  const conditions = new Conditions(ringfence, observed.now);
  conditions.set(...['Ready', 'NetworkPoliciesReady', 'AccessReady'].map((type) => ({ type, status: 'False' as const, reason, message })));
  return {
    delete: deletes,
    status: statusEffect(ringfence, { observedGeneration: ringfence.metadata.generation, conditions: conditions.list, policyCount: 0, bindingCount: 0, networkPolicies: [], roleBindings: [] }),
    events: [...warningOnChange(ringfence, reason, 'Reconcile', note), ...failureEvent(ringfence, failures)],
  };
}

function readyCondition(ringfence: ObservedRingfence, failures: readonly EffectFailure[], missingNote: string): ConditionUpdate {
  if (!failures.length) return { type: 'Ready', status: 'True', reason: 'Applied', message: `namespace ${ringfence.metadata.namespace} is fenced in${missingNote}` };
  const { reason, message } = failureCondition(failures);
  const denyFailed = failures.some((f) => f.kind === 'NetworkPolicy' && f.name === DEFAULT_DENY);
  return { type: 'Ready', status: 'False', reason, message: `${message}${denyFailed ? '' : `; ${DEFAULT_DENY} is in place`}` };
}

function partCondition(type: string, failures: readonly EffectFailure[], applied: string): ConditionUpdate {
  return failures.length
    ? { type, status: 'False', ...failureCondition(failures) }
    : { type, status: 'True', reason: 'Applied', message: applied };
}

/** Drift: a generated object changed or deleted by someone else. */
function driftOf(observed: Observed, inPlace: Generated[]): EventEffect[] {
  const { ringfence } = observed;
  const listed = [...(ringfence.status?.networkPolicies ?? []), ...(ringfence.status?.roleBindings ?? [])];
  return driftEvents(ringfence, inPlace, (object) => (object.kind === 'NetworkPolicy' ? observed.ownedNetworkPolicies : observed.ownedRoleBindings)
    .find((o) => o.metadata.name === object.metadata.name), listed);
}

function removeAll(observed: Observed): NonNullable<Effects['delete']> {
  const { namespace } = observed.ringfence.metadata;
  return [
    ...observed.ownedNetworkPolicies.map((o) => ({ resource: networkPolicies, name: o.metadata.name, namespace })),
    ...observed.ownedRoleBindings.map((o) => ({ resource: roleBindings, name: o.metadata.name, namespace })),
  ];
}

function missingNamespaces(ringfence: Ringfence, exists: (name: string) => boolean): string[] {
  const peers = [...(ringfence.spec.ingress?.from ?? []), ...(ringfence.spec.egress?.to ?? [])];
  return [...new Set(peers.flatMap((peer) => peer.namespaces ?? []))].filter((name) => !exists(name)).sort();
}

/** AccessDrift: other RoleBindings that grant access to subjects the ringfence does not list. */
function accessDrift(ringfence: Ringfence, bindings: ForeignBinding[]): ConditionUpdate {
  const access = ringfence.spec.access;
  const key = (s: { kind: string; name: string; namespace?: string }) => `${s.kind}/${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
  const listed = new Set([...(access?.admins ?? []), ...(access?.editors ?? []), ...(access?.viewers ?? [])].map(key));
  const drift = !access ? [] : bindings.flatMap((binding) => {
    const outside = (binding.subjects ?? []).filter((subject) => !listed.has(key(subject)));
    return outside.length ? [`RoleBinding ${binding.metadata.name} grants ${binding.roleRef.kind} ${binding.roleRef.name} to ${outside.map(key).join(', ')}`] : [];
  }).sort();
  return drift.length
    ? { type: 'AccessDrift', status: 'True', reason: 'ForeignBindings', message: truncated(drift.join('; ')) }
    : { type: 'AccessDrift', status: 'False', reason: 'NoForeignBindings', message: 'no other RoleBinding grants access here' };
}

const statusEffect = (ringfence: ObservedRingfence, status: NamespaceRingfenceStatus): Effects['status'] => ({
  resource: ringfences,
  object: { apiVersion: API_VERSION, kind: 'NamespaceRingfence', metadata: { name: ringfence.metadata.name, namespace: ringfence.metadata.namespace }, status },
});

const noteMissing = (missing: string[]) => (missing.length ? `; peer namespaces not found (their rules are in place): ${missing.join(', ')}` : '');
