// Carries out what a decide returned. Applies skip what the cache shows as desired and put their
// answer in the cache at once (Informer.assume); deletes of what is gone succeed; the status is
// written only when it changes. When the API server refuses an apply, patch or delete, decide is
// asked again with the failures, so that the status and an Event say so; then the reconcile fails,
// and the controller retries it with backoff.
import { apply, FIELD_MANAGER, needsApply } from './apply.ts';
import { ApiError, type KubeClient, type KubeObject, type Resource } from './client.ts';
import type { ReconcileOutcome } from './controller.ts';
import type { ApplyEffect, Decide, DeleteEffect, EffectFailure, Effects, PatchEffect } from './effects.ts';
import { describeFailure } from './effects.ts';
import type { EventRecorder } from './events.ts';
import { fieldConflicts, FightTracker, type FightReport } from './fights.ts';
import type { Informer } from './informer.ts';
import { errorMessage } from './errors.ts';
import { currentWriter, noteAnswer } from './writer.ts';

export class EffectsFailed extends Error {
  readonly failures: readonly EffectFailure[];
  /** Set when every failure says when to look again (fights): then no backoff of the controller's. */
  readonly retryAfterMs: number | undefined;

  constructor(failures: readonly EffectFailure[]) {
    super(failures.map(describeFailure).join('; '));
    this.name = 'EffectsFailed';
    this.failures = failures;
    const delays = failures.map((failure) => failure.retryAfterMs);
    this.retryAfterMs = delays.every((delay) => delay !== undefined) ? Math.min(...delays) : undefined;
  }
}

export interface ExecutorDependencies {
  client: KubeClient;
  /** The caches an object with these labels is in, the one to judge an apply by first (Manager.cachesOf). */
  caches: (resource: Resource, labels: Record<string, string> | undefined) => Informer[];
  events: EventRecorder;
  clock: () => Date;
}

export class Executor {
  private readonly deps: ExecutorDependencies;
  private readonly fights = new FightTracker();

  constructor(deps: ExecutorDependencies) {
    this.deps = deps;
  }

  /** Runs decide's effects; resolves with the requeue it asked for, or rejects with EffectsFailed. */
  async run(decide: Decide): Promise<ReconcileOutcome> {
    const effects = decide([]);
    const failures = await this.change(effects);
    const final = failures.length ? decide(failures) : effects;
    if (final.status) await this.writeStatus(final.status.resource, final.status.object);
    for (const event of final.events ?? []) {
      await this.deps.events.record(event.regarding, event.type, event.reason, event.action, event.note);
    }
    if (failures.length) throw new EffectsFailed(failures);
    return final.requeueAfterMs === undefined ? undefined : { requeueAfterMs: final.requeueAfterMs };
  }

  /** The applies marked first, then every other change side by side; what failed, in no set order. */
  private async change(effects: Effects): Promise<EffectFailure[]> {
    const applies = effects.apply ?? [];
    const first = await Promise.all(applies.filter((effect) => effect.first).map((effect) => this.applyObject(effect)));
    const rest = await Promise.all([
      ...applies.filter((effect) => !effect.first).map((effect) => this.applyObject(effect)),
      ...(effects.patch ?? []).map((effect) => this.patchObject(effect)),
      ...(effects.delete ?? []).map((effect) => this.deleteObject(effect)),
    ]);
    return [...first, ...rest].filter((failure): failure is EffectFailure => failure !== undefined);
  }

  private async applyObject(effect: ApplyEffect): Promise<EffectFailure | undefined> {
    const { resource, object } = effect;
    const caches = this.deps.caches(resource, object.metadata.labels);
    const live = caches[0]!.get(object.metadata.name, object.metadata.namespace);
    const key = `${resource.resource}.${resource.group}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const nowMs = this.deps.clock().getTime();
    if (!needsApply(object, live)) return fightFailure(resource, object.metadata, this.fights.settled(key, nowMs));
    // A backoff waits out the other manager, not a change of what we want (a spec edit applies at once).
    const waiting = this.fights.waiting(key, JSON.stringify(object), nowMs);
    if (waiting) return fightFailure(resource, object.metadata, waiting);
    try {
      // Taking fields back from another manager: first without force, so that the conflict names it.
      // Also when the cache holds no such object: a label-selected cache does not see one whose
      // label another manager changed, and an apply that creates cannot conflict (no extra request).
      const unforced = effect.force ? await this.applyUnlessConflict(effect, key, nowMs) : undefined;
      assumeAll(caches, unforced?.written ?? await apply(this.deps.client, resource, object, { force: effect.force ?? false }));
      return fightFailure(resource, object.metadata, unforced?.fight ?? this.fights.settled(key, nowMs));
    } catch (error) {
      const failure = failureOf('apply', resource, object.metadata, error);
      // Whether or not the cache holds it (see above): an older version must not stay in force.
      if (effect.failClosed && refused(error)) {
        const removed = await this.deleteObject({ resource, ...object.metadata }, live?.metadata.uid);
        if (removed) return removed;
      }
      return failure;
    }
  }

  /** The apply's answer when no other manager holds a field it sets; else the fight that conflict makes, if any. */
  private async applyUnlessConflict({ resource, object }: ApplyEffect, key: string, nowMs: number): Promise<{ written?: KubeObject; fight?: FightReport }> {
    try {
      return { written: await apply<KubeObject>(this.deps.client, resource, object) };
    } catch (error) {
      const [conflict] = error instanceof ApiError && error.code === 409 ? fieldConflicts(error.causes) : [];
      if (!conflict) throw error;
      const fight = this.fights.conflicted(key, conflict, JSON.stringify(object), nowMs);
      return fight ? { fight } : {};
    }
  }

  private async patchObject({ resource, target, patch, type }: PatchEffect): Promise<EffectFailure | undefined> {
    try {
      // Not cached ahead of its watch event, but known as this reconcile's: that event, heard before
      // this answer, does not start the reconcile again (heard after it, it does).
      noteAnswer(await this.deps.client.patch<KubeObject>(resource, target, patch, { type, fieldManager: FIELD_MANAGER }));
      return undefined;
    } catch (error) {
      return failureOf('patch', resource, target, error);
    }
  }

  private async deleteObject({ resource, name, namespace }: DeleteEffect, uid?: string): Promise<EffectFailure | undefined> {
    try {
      await this.deps.client.delete(resource, name, namespace, uid);
      return undefined;
    } catch (error) {
      return failureOf('delete', resource, { name, namespace }, error);
    }
  }

  private async writeStatus(resource: Resource, desired: Parameters<typeof apply>[2]): Promise<void> {
    const caches = this.deps.caches(resource, undefined);
    if (!needsApply(desired, caches[0]!.get(desired.metadata.name, desired.metadata.namespace), { subresource: 'status' })) return;
    // Force: the status is the operator's alone; no other manager has a say in it.
    assumeAll(caches, await apply<KubeObject>(this.deps.client, resource, desired, { subresource: 'status', force: true }));
  }
}

/** Each cache takes the answer if its selector lets it through, telling its handlers who wrote it (Informer.assume). */
function assumeAll(caches: readonly Informer[], written: KubeObject): void {
  noteAnswer(written);
  const writer = currentWriter();
  for (const cache of caches) cache.assume(written, writer);
}

/**
 * The API server judged this object and refused it as it is (invalid, or denied by a validating
 * policy). Not 401/403: lost credentials or permissions must not delete what stands.
 */
function refused(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 400 || error.code === 422);
}

function fightFailure(resource: Resource, target: { name: string; namespace?: string | undefined }, fight: FightReport | undefined): EffectFailure | undefined {
  return fight && {
    verb: 'apply', kind: resource.kind, name: target.name, namespace: target.namespace, code: 409,
    message: `conflict with "${fight.conflict.manager}"`, conflict: fight.conflict, retryAfterMs: fight.retryAfterMs,
  };
}

function failureOf(verb: EffectFailure['verb'], resource: Resource, target: { name: string; namespace?: string | undefined },
  error: unknown): EffectFailure {
  return {
    verb, kind: resource.kind, name: target.name, namespace: target.namespace,
    code: error instanceof ApiError ? error.code : 0,
    message: errorMessage(error),
  };
}
