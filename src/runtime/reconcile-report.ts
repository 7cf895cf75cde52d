// What the controllers' decides report the same way: the pass's conditions, Warnings once per
// change (not once per retry), drift (a generated object someone else changed or deleted), and
// which of several objects claiming one thing goes first.
import { needsApply, type ApplyConfiguration } from './apply.ts';
import type { KubeObject } from './client.ts';
import { findCondition, setCondition, type Condition, type ConditionUpdate } from './conditions.ts';
import { failureCondition, type EffectFailure, type EventEffect } from './effects.ts';

/** An object of ours with conditions in its status. */
export interface Reported extends KubeObject {
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

/** The conditions of this pass, each for the object's generation, at the pass's time. */
export class Conditions {
  list: Condition[];
  private readonly generation: number | undefined;
  private readonly now: Date;

  constructor(object: Reported, now: Date) {
    this.list = object.status?.conditions ?? [];
    this.generation = object.metadata.generation;
    this.now = now;
  }

  set(...updates: ConditionUpdate[]): void {
    for (const update of updates) this.list = setCondition(this.list, update, this.generation, this.now);
  }
}

/** The spec changed since the status was written: whatever the status says is about an older one. */
export const specChanged = (object: Reported) => object.status?.observedGeneration !== object.metadata.generation;

export const warning = (regarding: KubeObject, reason: string, action: string, note: string): EventEffect => ({ regarding, type: 'Warning', reason, action, note });

/** A Warning for failed effects, once per distinct failure: not while the status already reports the same. */
export function failureEvent(object: Reported, failures: readonly EffectFailure[]): EventEffect[] {
  if (!failures.length) return [];
  const { reason, message } = failureCondition(failures);
  const ready = findCondition(object.status?.conditions, 'Ready');
  const reported = !specChanged(object) && ready?.message.includes(message) === true;
  return reported ? [] : [warning(object, reason, 'Apply', message)];
}

/**
 * A generated object changed or deleted by someone else, while the spec stayed as it was, is drift:
 * `live` finds its cached version, `listed` names what the status says was applied (a deletion of
 * one never applied is no drift).
 */
export function driftEvents(owner: Reported, desired: readonly ApplyConfiguration[],
  live: (object: ApplyConfiguration) => KubeObject | undefined, listed: readonly string[]): EventEffect[] {
  if (specChanged(owner)) return [];
  return desired.flatMap((object) => {
    const found = live(object);
    if (!needsApply(object, found)) return [];
    if (!found && !listed.includes(object.metadata.name)) return [];
    return [warning(owner, 'DriftReverted', 'Apply', `${object.kind} ${object.metadata.name} was ${found ? 'changed' : 'deleted'} outside Palisade; put back`)];
  });
}

/** A Warning once per change: a spec edit, or a Ready reason the status does not report yet. */
export function warningOnChange(object: Reported, reason: string, action: string, note: string): EventEffect[] {
  const repeated = !specChanged(object) && findCondition(object.status?.conditions, 'Ready')?.reason === reason;
  return repeated ? [] : [warning(object, reason, action, note)];
}

/** Oldest first, then by name: of several objects that claim one thing, the first keeps it. */
export const byAge = (a: KubeObject & { metadata: { creationTimestamp?: string } }, b: KubeObject & { metadata: { creationTimestamp?: string } }) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);
