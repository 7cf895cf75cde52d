// A controller: the keys of one kind in a work queue, fed by that kind's informer, by the objects
// it owns and by any other kind it watches, worked by N workers that call reconcile. A reconcile
// returns done or a requeue delay, or throws (retried with backoff); nothing it throws escapes.
import type { KubeObject, Resource } from './client.ts';
import { EffectsFailed } from './executor.ts';
import type { Informer, InformerEvent } from './informer.ts';
import type { Logger } from './logging.ts';
import type { CacheView } from './manager.ts';
import type { Metrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import { errorMessage } from './errors.ts';
import { asWriter, versionOf, type Reconciling } from './writer.ts';

/** The object a reconcile is about. */
export interface Request {
  namespace?: string;
  name: string;
}

export type ReconcileOutcome = void | { requeueAfterMs: number };
export type Reconciler = (request: Request) => Promise<ReconcileOutcome>;

/** Set on owned objects where an ownerReference cannot point at the owner (cluster-scoped owner, other namespace). */
export const OWNER_UID_LABEL = 'palisade.dev/owner-uid';

export interface Watch {
  resource: Resource;
  /** The requests an event on this object should cause (the event, for what changed). */
  map: (object: KubeObject, event: InformerEvent<KubeObject>) => Request[];
  view?: CacheView;
  /** Requests wait this long, and those for one key meanwhile are one (see `watches`). */
  coalesceMs?: number;
}

/** A kind and the view of it a controller caches (Manager.informer). */
export interface Cached {
  resource: Resource;
  view?: CacheView;
}

/**
 * Requests raised by code rather than by an informer (controller-runtime's channel source): one
 * controller's findings that change what another reports.
 */
export class Trigger {
  private readonly handlers: ((request: Request) => void)[] = [];

  subscribe(handler: (request: Request) => void): void {
    this.handlers.push(handler);
  }

  fire(request: Request): void {
    for (const handler of this.handlers) handler(request);
  }
}

export interface ControllerSpec {
  name: string;
  for: Resource;
  forView?: CacheView;
  owns: Cached[];
  watches: Watch[];
  triggers: { trigger: Trigger; coalesceMs?: number }[];
  reconcile: Reconciler;
  concurrency: number;
  /** The kind reports a Ready condition in status.conditions: palisade_object_ready is exported for each object. */
  reportsReady?: boolean;
}

/** Builds a controller definition: `controller('x').for(kind).owns(kind).watches(kind, map).reconcile(fn)`. */
export const controller = (name: string) => new ControllerBuilder(name);

class ControllerBuilder {
  private readonly name: string;
  private primary: Cached | undefined;
  private readonly owned: Cached[] = [];
  private readonly watched: Watch[] = [];
  private readonly triggers: { trigger: Trigger; coalesceMs?: number }[] = [];
  private workers = 2;
  private ready = false;

  constructor(name: string) {
    this.name = name;
  }

  /** The kind reconciled; `view` says how much of it the cache holds (all of it by default). */
  for(resource: Resource, view?: CacheView): this {
    this.primary = { resource, view };
    return this;
  }

  /** Objects of a kind the controller generates (by ownerReference or owner-UID label); `view` selects them, e.g. by label. */
  owns(resource: Resource, view?: CacheView): this {
    this.owned.push({ resource, view });
    return this;
  }

  /**
   * Events on another kind cause the requests `map` returns; `view` can ask for metadata alone.
   * With `coalesceMs`, a request waits that long and all for one key meanwhile are one reconcile:
   * for a reconcile that reads a whole cache (a status counting 10,000 namespaces), which one
   * event per namespace would otherwise run back to back.
   */
  watches(resource: Resource, map: Watch['map'], view?: CacheView, coalesceMs?: number): this {
    this.watched.push({ resource, map, view, coalesceMs });
    return this;
  }

  triggeredBy(trigger: Trigger, coalesceMs?: number): this {
    this.triggers.push({ trigger, coalesceMs });
    return this;
  }

  concurrency(workers: number): this {
    this.workers = workers;
    return this;
  }

  /** The kind's status.conditions has a Ready condition: export it per object (Metrics.objectReadiness). */
  reportsReady(): this {
    this.ready = true;
    return this;
  }

  reconcile(reconcile: Reconciler): ControllerSpec {
    if (!this.primary) throw new Error(`controller ${this.name}: call for() before reconcile()`);
    return {
      name: this.name, for: this.primary.resource, forView: this.primary.view, owns: this.owned, watches: this.watched, triggers: this.triggers,
      concurrency: this.workers, reconcile, ...(this.ready ? { reportsReady: true } : {}),
    };
  }
}

export const requestKey = ({ namespace, name }: Request) => (namespace ? `${namespace}/${name}` : name);

function requestOf(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface ControllerDependencies {
  informer: (resource: Resource, view?: CacheView) => Informer;
  logger: Logger;
  metrics: Metrics;
}

export class Controller {
  readonly spec: ControllerSpec;
  readonly queue: WorkQueue;
  private readonly primary: Informer;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  /** Per key being reconciled: the versions of the objects whose events came for it meanwhile (holdWhileReconciled). */
  private readonly heldVersions = new Map<string, Set<string>>();
  /** The objects the first pass has still to reconcile once; undefined until the workers start. */
  private firstPass: { left: Set<string>; startedAt: number; objects: number } | undefined;

  constructor(spec: ControllerSpec, deps: ControllerDependencies) {
    this.spec = spec;
    this.logger = deps.logger.child({ controller: spec.name });
    this.metrics = deps.metrics;
    this.queue = new WorkQueue(defaultControllerRateLimiter(), deps.metrics.queueObserver(spec.name));
    this.primary = deps.informer(spec.for, spec.forView);
    // From the cache, which every replica keeps: a standby exports what the leader wrote.
    if (spec.reportsReady) deps.metrics.objectReadiness(spec.for.kind, () => this.primary.list());
    this.primary.onEvent((event) => this.enqueue(requestKey(this.identify(event.object)), event));
    // A resync re-reconciles every primary object, which re-reads everything else: re-delivered
    // owned and watched objects would only repeat that, at the cost of their mapping.
    for (const owned of spec.owns) {
      deps.informer(owned.resource, owned.view).onEvent((event) => event.type !== 'resync' && this.enqueueOwner(event));
    }
    for (const watch of spec.watches) {
      deps.informer(watch.resource, watch.view).onEvent((event) => event.type !== 'resync'
        && watch.map(event.object, event).forEach((request) => this.enqueue(requestKey(request), event, watch.coalesceMs)));
    }
    for (const { trigger, coalesceMs } of spec.triggers) trigger.subscribe((request) => this.enqueue(requestKey(request), undefined, coalesceMs));
  }

  /** Works the queue with the configured number of workers until it is shut down and drained. */
  async run(): Promise<void> {
    const left = new Set(this.primary.list().map((object) => requestKey(this.identify(object))));
    this.firstPass = { left, startedAt: performance.now(), objects: left.size };
    this.passed(undefined);
    await Promise.all(Array.from({ length: this.spec.concurrency }, () => this.work()));
  }

  /**
   * Every object cached when the workers started has been reconciled once, whatever the outcome:
   * until then, what the cluster holds may still differ from what Palisade says (after a restart,
   * say), and the process is not ready. A failure retries with backoff and is in the status.
   */
  get firstPassDone(): boolean {
    return this.firstPass?.left.size === 0;
  }

  private passed(key: string | undefined): void {
    const pass = this.firstPass;
    if (!pass || pass.left.size === 0) return;
    if (key !== undefined) pass.left.delete(key);
    if (pass.left.size === 0) this.logger.info('first pass done', { objects: pass.objects, seconds: +((performance.now() - pass.startedAt) / 1000).toFixed(1) });
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.process(key);
      this.passed(key);
      this.queue.done(key);
    }
  }

  /** Reconciles `key` once, then queues it again if an event held meanwhile was not one of that reconcile's writes. */
  private async process(key: string): Promise<void> {
    const reconciling: Reconciling = { writer: { controller: this.spec.name, request: key }, answered: new Set() };
    const held = new Set<string>();
    // From here until the reconcile's end, not until queue.done: an event after it must mark the key dirty itself.
    this.heldVersions.set(key, held);
    try {
      await this.reconcileOnce(key, reconciling);
    } finally {
      this.heldVersions.delete(key);
      if ([...held].some((version) => !reconciling.answered.has(version))) this.queue.add(key);
    }
  }

  private async reconcileOnce(key: string, reconciling: Reconciling): Promise<void> {
    const request = requestOf(key);
    const started = performance.now();
    const line = () => ({
      kind: this.spec.for.kind, namespace: request.namespace, name: request.name,
      generation: this.primary.get(request.name, request.namespace)?.metadata.generation,
      durationMs: Math.round(performance.now() - started),
    });
    try {
      const outcome = await asWriter(reconciling, () => this.spec.reconcile(request));
      this.queue.forget(key);
      if (outcome) this.queue.addAfter(key, outcome.requeueAfterMs);
      this.metrics.reconciled(this.spec.name, outcome ? 'requeue_after' : 'success', (performance.now() - started) / 1000);
      // At debug: a resync reconciles everything, and a line each would bury what went wrong.
      this.logger.debug('reconciled', { ...line(), ...(outcome ? { requeueAfterMs: outcome.requeueAfterMs } : {}) });
    } catch (error) {
      if (error instanceof EffectsFailed && error.retryAfterMs !== undefined) {
        // Backing off from another field manager: the status says so; look again when the backoff ends.
        this.queue.forget(key);
        this.queue.addAfter(key, error.retryAfterMs);
        this.metrics.reconciled(this.spec.name, 'requeue_after', (performance.now() - started) / 1000);
        // At debug: the status says so, and every write of the other manager brings a pass here.
        this.logger.debug('backing off', { ...line(), retryAfterMs: Math.round(error.retryAfterMs), reason: error.message });
        return;
      }
      this.queue.addRateLimited(key);
      this.metrics.reconciled(this.spec.name, 'error', (performance.now() - started) / 1000);
      this.logger.error('reconcile failed', { ...line(), retries: this.queue.retries(key), error: errorMessage(error) });
    }
  }

  /** Queues `key` for what `event` says, unless it is the answer to that very reconcile's own write: it knows what it wrote. */
  private enqueue(key: string, event: InformerEvent<KubeObject> | undefined, coalesceMs?: number): void {
    if (event && writtenBy(event, this.spec.name, key)) return;
    if (coalesceMs) this.queue.addAfter(key, coalesceMs);
    else if (!(event && this.holdWhileReconciled(key, event))) this.queue.add(key);
  }

  /**
   * An add or update that comes while its key is being reconciled may be the watch event of one of that
   * reconcile's own writes, come before the write's answer (the two come apart, in no set order): it
   * is held until the reconcile ends, and then queues the key again only if it was not (process).
   * Queued at once, it would reconcile once more for nothing: 0.6 times a ringfence at 1,000 (bench/README.md).
   */
  private holdWhileReconciled(key: string, event: InformerEvent<KubeObject>): boolean {
    const held = this.heldVersions.get(key);
    if (!held || (event.type !== 'add' && event.type !== 'update')) return false;
    held.add(versionOf(event.object));
    return true;
  }

  private identify(object: KubeObject): Request {
    return { namespace: this.spec.for.namespaced ? object.metadata.namespace : undefined, name: object.metadata.name };
  }

  /**
   * An owned object maps to its controlling ownerReference of our kind, or to the owner named by
   * UID label; an update to the old object's owner too (client-go's EnqueueRequestForOwner): an
   * edit that removes the reference must reach the owner, which puts it back.
   */
  private enqueueOwner(event: InformerEvent<KubeObject>): void {
    const owners = [this.ownerOf(event.object), event.type === 'update' ? this.ownerOf(event.old) : undefined];
    for (const owner of new Set(owners)) if (owner !== undefined) this.enqueue(owner, event);
  }

  private ownerOf({ metadata }: KubeObject): string | undefined {
    const apiVersion = this.spec.for.group ? `${this.spec.for.group}/${this.spec.for.version}` : this.spec.for.version;
    const reference = metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === this.spec.for.kind && ref.apiVersion === apiVersion);
    if (reference) return requestKey({ namespace: this.spec.for.namespaced ? metadata.namespace : undefined, name: reference.name });
    const ownerUid = metadata.labels?.[OWNER_UID_LABEL];
    const owner = ownerUid ? this.primary.getByUid(ownerUid) : undefined;
    return owner && requestKey(this.identify(owner));
  }
}

/** Whether `event` was told from the answer to a write of `controller`'s reconcile of `request` (Informer.assume). */
export function writtenBy(event: InformerEvent<KubeObject>, controller: string, request: string): boolean {
  const writer = event.type === 'add' || event.type === 'update' ? event.writtenBy : undefined;
  return writer?.controller === controller && writer.request === request;
}
