// What a pass over one namespace, or over one baseline, does: pure functions of what was
// observed (and which effects the API server refused), for the runtime to carry out.
import { API_VERSION } from '../../api/crd.ts';
import { baselines } from '../../api/resources.ts';
import { namespaces } from '../../kubernetes/resources.ts';
import { needsApply } from '../../runtime/apply.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { describeFailure, type EffectFailure, type Effects, type EventEffect } from '../../runtime/effects.ts';
import { namespaceApply, type NamespacePlan } from './namespace-plan.ts';
import { modeOfLabel, type EffectivePolicy } from '../../podsecurity/namespace-policy.ts';
import { baselineStatus, selectedNamespaces, type Observed as StatusObserved, type StatusBaseline } from './status.ts';

/** Held until every namespace the baseline labelled has its labels handed back or decided without it. */
export const FINALIZER = 'palisade.dev/pod-security-labels';

/** While hundreds of namespaces get labelled, counts change with each: status is written at most this often. */
export const STATUS_INTERVAL_MS = 1_000;

/**
 * The labels of one namespace: applied (with force: the six labels are ours to set wherever a
 * baseline selects the namespace; what was there is kept in the state annotation), or handed
 * back. Each label put back after a hand edit is a DriftReverted Event on the baseline that set it.
 */
export function decideNamespace(name: string, plan: NamespacePlan, policy: EffectivePolicy | undefined,
  baselineNamed: (name: string) => KubeObject | undefined, failures: readonly EffectFailure[] = []): Effects {
  if (plan.action === 'release') return { patch: [{ resource: namespaces, target: { name }, patch: plan.patch, type: 'json' }] };
  if (plan.action !== 'apply') return {};
  const ownerOf = (label: string) => {
    const mode = modeOfLabel(label);
    return policy && mode ? baselineNamed(policy.modes[mode].baseline) : undefined;
  };
  const drift: EventEffect[] = failures.length ? [] : plan.drift.flatMap(({ label, applied, found }) => {
    const owner = ownerOf(label);
    return owner ? [{
      regarding: owner, type: 'Warning' as const, reason: 'DriftReverted', action: 'Label',
      note: `namespace ${name}: ${label} was ${found === undefined ? 'removed' : `set to "${found}"`} outside Palisade; put back to "${applied}"`,
    }] : [];
  });
  // A fight over a label is told to the baseline that sets it (the recorder folds repeats into one Event).
  const fights: EventEffect[] = failures.flatMap((failure) => {
    const owner = failure.conflict && failure.conflict.fields.map((field) => ownerOf(field.replace(/^\.metadata\.labels\./, ''))).find(Boolean);
    return owner ? [{ regarding: owner, type: 'Warning' as const, reason: 'FieldManagerConflict', action: 'Label', note: `namespace ${name}: ${describeFailure(failure)}` }] : [];
  });
  return { apply: [{ resource: namespaces, object: namespaceApply(name, plan), force: true }], events: [...drift, ...fights] };
}

export interface ObservedBaseline extends StatusObserved {
  baseline: StatusBaseline & KubeObject & { metadata: { finalizers?: string[] } };
  now: Date;
  /** When this process last wrote the baseline's status, if it did. */
  statusWrittenAt: Date | undefined;
  /** Whether this process has looked at a namespace since it started. */
  hasObserved: (namespace: string) => boolean;
}

const identity = (name: string) => ({ apiVersion: API_VERSION, kind: 'PodSecurityBaseline', metadata: { name } });

/** The finalizer alone: on before any namespace is labelled, whatever the status waits for. */
export function holdBaseline(name: string): Effects {
  const withFinalizer = { ...identity(name), metadata: { name, finalizers: [FINALIZER] } };
  return { apply: [{ resource: baselines, object: withFinalizer }] };
}

/**
 * The finalizer, and the status once it changed, no more often than STATUS_INTERVAL_MS; the status
 * not before each namespace the baseline selects was looked at since the start: a status from
 * fewer facts would be wrong, and corrected a moment later.
 */
export function decideBaseline(observed: ObservedBaseline): Effects {
  const { name } = observed.baseline.metadata;
  const matched = selectedNamespaces(observed.baseline, observed);
  if (!matched.every((ns) => observed.hasObserved(ns.metadata.name))) return holdBaseline(name);
  const [finalizer] = holdBaseline(name).apply!;
  const status = { ...identity(name), status: baselineStatus(observed.baseline, observed, observed.now, matched) };
  if (!needsApply(status, observed.baseline, { subresource: 'status' })) return { apply: [finalizer!] };
  const wait = (observed.statusWrittenAt?.getTime() ?? -Infinity) + STATUS_INTERVAL_MS - observed.now.getTime();
  if (wait > 0) return { apply: [finalizer!], requeueAfterMs: wait };
  return { apply: [finalizer!], status: { resource: baselines, object: status } };
}

/** A baseline being deleted lets go of its finalizer (applying its identity alone drops the field). */
export function releaseBaseline(name: string): Effects {
  return { apply: [{ resource: baselines, object: identity(name) }] };
}
