// What a reconcile decides, as data: the objects to apply, patch and delete, the status, the
// Events, and when to look again. A controller's pure decide returns these; the executor
// (executor.ts) carries them out, so that every controller fails, retries and reports the same way.
import type { ApplyConfiguration } from './apply.ts';
import type { KubeObject, PatchTarget, Resource } from './client.ts';
import type { EventType } from './events.ts';
import type { FieldConflict } from './fights.ts';

export interface ApplyEffect {
  resource: Resource;
  object: ApplyConfiguration;
  /** Take the fields over from other managers: a hand edit of a field we set is drift. */
  force?: boolean;
  /** Applied before every other effect: a fence that must stand whatever else fails. */
  first?: boolean;
  /**
   * When the API server refuses this object, delete the live one: an older version must not stay
   * in force and allow what the spec no longer says (fail closed).
   */
  failClosed?: boolean;
}

export interface PatchEffect {
  resource: Resource;
  target: PatchTarget;
  patch: unknown;
  type: 'json' | 'merge';
}

export interface DeleteEffect {
  resource: Resource;
  name: string;
  namespace?: string | undefined;
}

export interface EventEffect {
  regarding: KubeObject;
  type: EventType;
  reason: string;
  action: string;
  /** Names fields and objects, never their secret contents. */
  note: string;
}

export interface StatusEffect {
  resource: Resource;
  /** The status as an apply configuration; written only when it differs from the cached object's. */
  object: ApplyConfiguration & { status: unknown };
}

export interface Effects {
  apply?: ApplyEffect[];
  patch?: PatchEffect[];
  delete?: DeleteEffect[];
  status?: StatusEffect | undefined;
  events?: EventEffect[];
  requeueAfterMs?: number | undefined;
}

/** An apply, patch or delete the API server refused, or could not be asked. */
export interface EffectFailure {
  verb: 'apply' | 'patch' | 'delete';
  kind: string;
  name: string;
  namespace?: string | undefined;
  /** The HTTP status; 0 when no answer came. */
  code: number;
  message: string;
  /** Another field manager keeps taking the object's fields back: reverts back off. */
  conflict?: FieldConflict;
  /** Look again then rather than retry with the controller's backoff. */
  retryAfterMs?: number;
}

/** The reason and message a Ready condition reports for failed effects, the object named in each. */
export function failureCondition(failures: readonly EffectFailure[]): { reason: string; message: string } {
  const reason = failures.every((failure) => failure.conflict) ? 'FieldManagerConflict'
    : failures.some((failure) => failure.verb !== 'delete') ? 'ApplyFailed' : 'DeleteFailed';
  return { reason, message: truncated(failures.map(describeFailure).sort().join('; ')) };
}

/** A condition message kept readable (the API allows 32 KiB; a screen does not). */
export const truncated = (message: string) => (message.length > 1024 ? `${message.slice(0, 1000)}… (truncated)` : message);

export const describeFailure = ({ verb, kind, name, code, message, conflict }: EffectFailure) => (conflict
  ? `${kind} ${name}: field manager "${conflict.manager}" keeps taking ${conflict.fields.join(', ')} back; Palisade puts it back less and less often until that stops`
  : `${verb} ${kind} ${name} failed${code ? ` (${code})` : ''}: ${message}`);

/** The decide of a reconcile: the effects, given which effects of its first answer failed. */
export type Decide = (failures: readonly EffectFailure[]) => Effects;
