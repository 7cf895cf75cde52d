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
import type { Informer } from './informer.ts';

export class EffectsFailed extends Error {
  readonly failures: readonly EffectFailure[];

  constructor(failures: readonly EffectFailure[]) {
    super(failures.map(describeFailure).join('; '));
    this.name = 'EffectsFailed';
    this.failures = failures;
  }
}

export interface ExecutorDependencies {
  client: KubeClient;
  informer: (resource: Resource) => Informer;
  events: EventRecorder;
}

export class Executor {
  private readonly deps: ExecutorDependencies;

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
    const cache = this.deps.informer(resource);
    const live = cache.get(object.metadata.name, object.metadata.namespace);
    if (!needsApply(object, live)) return undefined;
    try {
      cache.assume(await apply(this.deps.client, resource, object, { force: effect.force ?? false }));
      return undefined;
    } catch (error) {
      const failure = failureOf('apply', resource, object.metadata, error);
      if (effect.failClosed && live && refused(error)) {
        const removed = await this.deleteObject({ resource, ...object.metadata });
        if (removed) return removed;
      }
      return failure;
    }
  }

  private async patchObject({ resource, target, patch, type }: PatchEffect): Promise<EffectFailure | undefined> {
    try {
      await this.deps.client.patch(resource, target, patch, { type, fieldManager: FIELD_MANAGER });
      return undefined;
    } catch (error) {
      return failureOf('patch', resource, target, error);
    }
  }

  private async deleteObject({ resource, name, namespace }: DeleteEffect): Promise<EffectFailure | undefined> {
    try {
      await this.deps.client.delete(resource, name, namespace);
      return undefined;
    } catch (error) {
      return failureOf('delete', resource, { name, namespace }, error);
    }
  }

  private async writeStatus(resource: Resource, desired: Parameters<typeof apply>[2]): Promise<void> {
    const cache = this.deps.informer(resource);
    if (!needsApply(desired, cache.get(desired.metadata.name, desired.metadata.namespace), { subresource: 'status' })) return;
    // Force: the status is the operator's alone; no other manager has a say in it.
    cache.assume(await apply<KubeObject>(this.deps.client, resource, desired, { subresource: 'status', force: true }));
  }
}

/** The API server answered and refused this object as it is (not a conflict, not overload, not a fault of its own). */
function refused(error: unknown): boolean {
  return error instanceof ApiError && error.code >= 400 && error.code < 500 && error.code !== 409 && error.code !== 429;
}

function failureOf(verb: EffectFailure['verb'], resource: Resource, target: { name: string; namespace?: string | undefined },
  error: unknown): EffectFailure {
  return {
    verb, kind: resource.kind, name: target.name, namespace: target.namespace,
    code: error instanceof ApiError ? error.code : 0,
    message: error instanceof Error ? error.message : String(error),
  };
}
