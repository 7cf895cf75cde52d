// Runs controllers: one shared informer per kind, started at once so that a standby is warm and
// ready; workers only while this process leads. Stopping drains the queues (work in flight
// finishes), stops the informers and releases the lease.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient, KubeObject, Resource } from './client.ts';
import { shapeForCache } from './cache-shape.ts';
import { Controller, type ControllerSpec } from './controller.ts';
import { Informer } from './informer.ts';
import { matchesLabels, parseLabelSelector, type LabelRequirement } from './label-selector.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';
import { errorMessage } from './errors.ts';

export interface ManagerOptions {
  client: KubeClient;
  logger: Logger;
  metrics: Metrics;
  /** Without it every process reconciles: for tests and single-replica runs only. */
  leaderElection?: LeaderElectionOptions;
  /** Informers silent for longer than this make the process unready. */
  watchdogMs?: number;
  resyncMs?: number;
}

/**
 * Which objects of a kind a cache holds, and how much of each: what its readers read and nothing
 * more, so that memory follows what Palisade owns and not what the cluster holds.
 */
export interface CacheView {
  /** Only the objects' metadata (client-go's metadata informer). */
  metadataOnly?: boolean;
  /** Only the objects with these labels (equality-based): e.g. those a controller generated. */
  labelSelector?: string;
  /**
   * Of each object, what `keep` makes of it instead of the object (named, so that one cache serves
   * all who ask for it): for other managers' objects, which a cluster may hold by the ten thousand,
   * and of which a reader needs a few fields. It must keep the identity (cache-shape's `identity`).
   */
  digest?: { name: string; keep: (object: KubeObject) => KubeObject };
}

interface CacheEntry {
  resource: Resource;
  view: CacheView;
  informer: Informer;
  selects: LabelRequirement[] | undefined;
}

const resourceKey = (r: Resource) => `${r.resource}.${r.group}`;
const viewKey = ({ metadataOnly, labelSelector, digest }: CacheView) =>
  `${metadataOnly ? ' metadata' : ''}${labelSelector ? ` [${labelSelector}]` : ''}${digest ? ` {${digest.name}}` : ''}`;

export class Manager {
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, CacheEntry>();
  private readonly controllers: Controller[] = [];
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private running = false;
  /** The workers run: this process is in charge and its caches have synced. */
  private working = false;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.elector = options.leaderElection && new LeaderElector(options.client, options.leaderElection);
  }

  add(spec: ControllerSpec): void {
    this.controllers.push(new Controller(spec, {
      informer: (resource, view) => this.informer(resource, view), logger: this.options.logger, metrics: this.options.metrics,
    }));
  }

  /** The shared informer of a kind and view: every caller asking for the same gets the same. */
  informer<T extends KubeObject = KubeObject>(resource: Resource, view: CacheView = {}): Informer<T> {
    const key = `${resourceKey(resource)}${viewKey(view)}`;
    let informer = this.informers.get(key)?.informer;
    if (!informer) {
      const { logger, metrics, resyncMs } = this.options;
      const observer = metrics.informerObserver(key, () => created.silenceMs);
      const message = (error: unknown) => errorMessage(error);
      const created: Informer = new Informer(this.options.client, {
        resource, resyncMs, metadataOnly: view.metadataOnly, labelSelector: view.labelSelector,
        transform: view.digest?.keep ?? shapeForCache,
        // A retry is routine (a restarted apiserver refuses watches until its RBAC cache fills):
        // failures that persist are said once, and so is their end.
        observer: {
          ...observer,
          failed: (error, delayMs) => {
            observer.failed?.(error, delayMs);
            logger.debug('list or watch failed, retrying', { resource: key, delayMs: Math.round(delayMs), error: message(error) });
          },
          failing: (error, forMs) => logger.warn('list or watch keeps failing, retrying', { resource: key, forMs: Math.round(forMs), error: message(error) }),
          recovered: (forMs) => logger.info('list and watch recovered', { resource: key, failedForMs: Math.round(forMs) }),
        },
      });
      informer = created;
      this.informers.set(key, { resource, view, informer, selects: view.labelSelector === undefined ? undefined : parseLabelSelector(view.labelSelector) });
      if (this.running) informer.start();
    }
    // One informer serves every caller of a kind; each names the type it reads it as.
    return informer as unknown as Informer<T>;
  }

  /**
   * Stops a cache and forgets it, for a resource the server no longer serves: readiness no longer
   * waits on it, and writes' answers no longer go to it. A caller asking again gets a new one. For
   * a cache one reader made and alone reads: every handler on it goes with it.
   */
  async release(informer: Informer): Promise<void> {
    for (const [key, entry] of this.informers) {
      if (entry.informer !== informer) continue;
      this.informers.delete(key);
      this.options.metrics.forgetInformer(key);
    }
    await informer.stop();
  }

  /**
   * The caches an object with `labels` is in, of those the controllers asked for: where a write's
   * answer goes. The first holds the most of it (whole objects before digests and metadata),
   * and is where the executor judges whether an apply would change anything.
   */
  cachesOf(resource: Resource, labels: Record<string, string> | undefined): Informer[] {
    const partial = ({ view }: CacheEntry) => Number(view.digest !== undefined || view.metadataOnly === true);
    const caches = [...this.informers.values()]
      .filter((entry) => resourceKey(entry.resource) === resourceKey(resource) && (!entry.selects || matchesLabels(entry.selects, labels)))
      .sort((a, b) => partial(a) - partial(b));
    if (!caches.length) throw new Error(`no cache of ${resource.resource} holds an object labelled ${JSON.stringify(labels ?? {})}: a controller must watch what it writes`);
    return caches.map(({ informer }) => informer);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** This process may act: it leads, or runs without leader election. */
  get inCharge(): boolean {
    return !this.elector || this.leading;
  }

  /**
   * Ready once every informer has synced and none has been silent past the watchdog, and, where
   * this process is in charge, once each controller's first pass is done. A standby is ready
   * when its caches are warm: the leader serves.
   */
  get ready(): boolean {
    const watchdogMs = this.options.watchdogMs ?? 120_000;
    const caches = [...this.informers.values()].every(({ informer }) => informer.hasSynced && informer.silenceMs < watchdogMs);
    return caches && (!this.inCharge || (this.working && this.controllers.every((controller) => controller.firstPassDone)));
  }

  /**
   * Runs until `signal` fires (resolves after a graceful stop) or leadership is lost (rejects,
   * after the workers have stopped: the caller must exit).
   */
  async run(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.informers.forEach(({ informer }) => informer.start());
    try {
      if (this.elector && this.options.leaderElection) {
        // 0 from the start: a standby says it is one, and an alert can count the replicas that lead.
        this.options.metrics.leading(this.options.leaderElection.name, false);
        this.options.logger.info('waiting for leadership', { lease: this.options.leaderElection.name });
        const acquired = await this.elector.acquire(signal).then(() => true, () => false);
        if (!acquired) return;
        this.setLeading(true);
      }
      await this.work(signal);
    } finally {
      await Promise.all([...this.informers.values()].map(({ informer }) => informer.stop()));
    }
  }

  private async work(signal: AbortSignal): Promise<void> {
    // The lease is renewed from the start, while the caches fill, not only once workers run.
    const holding = this.elector ? this.elector.holdUntil(signal) : aborted(signal);
    try {
      await Promise.race([this.waitForSync(signal), holding]);
      this.working = !signal.aborted;
      const working = signal.aborted ? Promise.resolve([]) : Promise.all(this.controllers.map((controller) => controller.run()));
      await holding;
      await Promise.all(this.controllers.map((controller) => controller.queue.shutDownWithDrain()));
      await working;
    } catch (lost) {
      // Another process may take the lease soon: no waiting for work in flight, the caller exits now.
      this.setLeading(false);
      throw lost;
    }
    this.setLeading(false);
    await this.elector?.release();
  }

  /** Reconciles read other kinds from the caches: start no worker before every cache is full. */
  private async waitForSync(signal: AbortSignal): Promise<void> {
    const started = performance.now();
    while (!signal.aborted && ![...this.informers.values()].every(({ informer }) => informer.hasSynced)) {
      await sleep(100, undefined, { signal }).catch(() => undefined);
    }
    const objects = Object.fromEntries([...this.informers].map(([key, { informer }]) => [key, informer.size]));
    if (!signal.aborted) this.options.logger.info('caches synced', { seconds: +((performance.now() - started) / 1000).toFixed(1), objects });
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading || !this.options.leaderElection) return;
    this.leading = leading;
    this.options.metrics.leading(this.options.leaderElection.name, leading);
    this.options.logger.info(leading ? 'leading' : 'stopped leading', { lease: this.options.leaderElection.name });
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
