// An informer: a reflector that keeps a local cache of one kind in step with the API server, and
// tells handlers what changed. Lists page by page, watches from the list's resourceVersion with
// bookmarks, keys the cache by UID (a delete and re-create is a delete and an add), relists on
// 410 Gone emitting only the real difference, reconnects with jittered backoff forever, restarts
// a watch that has gone silent, can resync on a period, and takes a writer's answers ahead of
// their watch events.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, isGone, type KubeClient, type KubeObject, type Resource, type WatchEvent } from './client.ts';

export type InformerEvent<T extends KubeObject> =
  | { type: 'add'; object: T }
  | { type: 'update'; object: T; old: T }
  | { type: 'delete'; object: T }
  /** Periodic re-delivery of a cached object that did not change. */
  | { type: 'resync'; object: T };

export interface InformerObserver {
  relisted?(): void;
  event?(): void;
  /** A list or watch failed; the informer retries after `delayMs`. */
  failed?(error: unknown, delayMs: number): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  resource: Resource;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  pageSize?: number;
  /** Emit an update for every cached object this often (0: never). */
  resyncMs?: number;
  /** A watch with no event or bookmark for this long is restarted. */
  silenceMs?: number;
  /** The server ends each watch after a random time in [min, 2·min) seconds. */
  watchTimeoutSeconds?: number;
  backoff?: { initialMs: number; maxMs: number };
  observer?: InformerObserver;
  /** Only the objects' metadata: their kind's content never reaches the process (client-go's metadata informer). */
  metadataOnly?: boolean;
  /** Applied to every object before it is cached: drop what no reader needs (client-go's SetTransform). */
  transform?: (object: T) => T;
}

const MIN_HEALTHY_WATCH_MS = 1_000;
const RESOURCE_VERSION = /^[1-9][0-9]*$/;

/**
 * Whether resourceVersion `a` is known to be later than `b`, for objects of one resource: they are
 * integers that only grow, which clients may rely on since Kubernetes 1.35 (KEP-5504). False when
 * either is not one.
 */
function later(a: string, b: string): boolean {
  if (!RESOURCE_VERSION.test(a) || !RESOURCE_VERSION.test(b)) return false;
  return a.length !== b.length ? a.length > b.length : a > b;
}

const keyOf = (object: KubeObject) =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly client: KubeClient;
  private readonly options: Required<Omit<InformerOptions<T>, 'namespace' | 'labelSelector' | 'fieldSelector' | 'transform' | 'metadataOnly'>> & InformerOptions<T>;
  private readonly byUid = new Map<string, T>();
  private readonly uidByKey = new Map<string, string>();
  private readonly uidsByNamespace = new Map<string, Set<string>>();
  private readonly handlers: ((event: InformerEvent<T>) => void)[] = [];
  private readonly stopping = new AbortController();
  private resourceVersion: string | undefined;
  private watchAbort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private synced = false;
  private lastEvent = performance.now();

  constructor(client: KubeClient, options: InformerOptions<T>) {
    this.client = client;
    this.options = {
      pageSize: 500, resyncMs: 0, silenceMs: 90_000, watchTimeoutSeconds: 300,
      backoff: { initialMs: 500, maxMs: 30_000 }, observer: {}, ...options,
    };
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds since the last event or bookmark from the server. */
  get silenceMs(): number {
    return performance.now() - this.lastEvent;
  }

  onEvent(handler: (event: InformerEvent<T>) => void): void {
    this.handlers.push(handler);
  }

  get(name: string, namespace?: string): T | undefined {
    const uid = this.uidByKey.get(namespace ? `${namespace}/${name}` : name);
    return uid === undefined ? undefined : this.byUid.get(uid);
  }

  getByUid(uid: string): T | undefined {
    return this.byUid.get(uid);
  }

  list(): T[] {
    return [...this.byUid.values()];
  }

  /** The cached objects of one namespace, from an index: reconciles call this per object, so it must not scan. */
  listNamespace(namespace: string): T[] {
    return [...(this.uidsByNamespace.get(namespace) ?? [])].map((uid) => this.byUid.get(uid)!);
  }

  /**
   * Caches `written`, the server's answer to a write this process just made, ahead of its watch
   * event: a reconcile in between would otherwise decide on the old object and write again (client-go's
   * MutationCache). Only a write the informer has not seen past: then nothing in the cache is newer,
   * and no deletion of it can have been missed. Handlers are not told, so share such an informer only
   * with readers that need not hear of the writer's own writes; the watch event, at the same
   * resourceVersion, is then no change, and older ones do not step back over it.
   */
  assume(written: T): void {
    const { labelSelector, fieldSelector, metadataOnly, namespace } = this.options;
    // The cache holds only what the selectors let through, and only metadata when metadataOnly.
    if (labelSelector || fieldSelector || metadataOnly || (namespace && written.metadata.namespace !== namespace)) return;
    if (this.resourceVersion === undefined || !later(written.metadata.resourceVersion, this.resourceVersion)) return;
    this.store(written);
  }

  start(): void {
    if (this.running) return;
    this.running = this.run();
    if (this.options.resyncMs > 0) void this.resyncLoop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.watchAbort?.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let error: unknown;
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const started = performance.now();
        const restartedBySilence = await this.watch();
        if (restartedBySilence || performance.now() - started >= MIN_HEALTHY_WATCH_MS) {
          failures = 0;
          continue;
        }
      } catch (caught) {
        if (this.stopped) return;
        error = caught;
        if (isGone(caught)) this.resourceVersion = undefined;
      }
      // The first 410 after a healthy watch relists at once. Anything else waits, longer each time in
      // a row: a failure, a 410 right after a relist, or a watch the server ends at once without an
      // error. Whatever the server does, this loop never floods it.
      if (isGone(error) && failures === 0) {
        failures = 1;
        continue;
      }
      const delayMs = this.backoffMs(failures++);
      if (error !== undefined) this.options.observer.failed?.(error, delayMs);
      await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** Exponential in the number of failures in a row, capped, with jitter so that replicas spread out. */
  private backoffMs(failures: number): number {
    const { initialMs, maxMs } = this.options.backoff;
    return Math.min(maxMs, initialMs * 2 ** failures) * (0.5 + Math.random() / 2);
  }

  /** Lists everything, page by page, and emits the difference from the cache. */
  private async relist(): Promise<void> {
    const items: T[] = [];
    let resourceVersion: string;
    for (let token: string | undefined; ;) {
      let page;
      try {
        page = await this.client.list<T>(this.options.resource, { ...this.selectors(), limit: this.options.pageSize, continue: token }, this.options);
      } catch (error) {
        if (!isGone(error) || token === undefined) throw error;
        // The continue token expired mid-list: start the list over.
        items.length = 0;
        token = undefined;
        continue;
      }
      // An empty PartialObjectMetadataList comes with `items: null`.
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
      if (token === undefined) break;
    }
    this.replace(items, resourceVersion);
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.options.observer.relisted?.();
  }

  private replace(items: T[], resourceVersion: string): void {
    const seen = new Set<string>();
    for (const object of items) {
      seen.add(object.metadata.uid);
      this.upsert(object);
    }
    // An object written after the list (assumed) is not in it, and not gone.
    for (const [uid, object] of this.byUid) {
      if (!seen.has(uid) && !later(object.metadata.resourceVersion, resourceVersion)) this.remove(object);
    }
  }

  /** Watches until the stream ends; resolves true when the watchdog ended it for silence. */
  private async watch(): Promise<boolean> {
    const abort = new AbortController();
    this.watchAbort = abort;
    this.lastEvent = performance.now();
    let silent = false;
    const watchdog = setInterval(() => {
      if (this.silenceMs <= this.options.silenceMs) return;
      silent = true;
      abort.abort();
    }, Math.min(this.options.silenceMs, 5_000));
    const timeoutSeconds = Math.round(this.options.watchTimeoutSeconds * (1 + Math.random()));
    try {
      await this.client.watch<T>(this.options.resource, {
        ...this.selectors(), resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds,
      }, AbortSignal.any([abort.signal, this.stopping.signal]), (event) => this.apply(event), this.options);
    } finally {
      clearInterval(watchdog);
    }
    return silent;
  }

  private apply(event: WatchEvent<T>): void {
    this.lastEvent = performance.now();
    this.options.observer.event?.();
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new ApiError(status.code ?? 0, status.reason ?? '', status.message ?? 'watch error');
    }
    if (event.type === 'DELETED') this.remove(event.object);
    else if (event.type !== 'BOOKMARK') this.upsert(event.object);
    this.resourceVersion = event.object.metadata.resourceVersion;
  }

  private upsert(received: T): void {
    const stored = this.store(received);
    if (stored) this.emit(stored.old ? { type: 'update', object: stored.object, old: stored.old } : { type: 'add', object: stored.object });
  }

  /** Caches `received` unless the cache holds it at that resourceVersion or a later one; says what it replaced. */
  private store(received: T): { object: T; old: T | undefined } | undefined {
    const object = this.options.transform ? this.options.transform(received) : received;
    const key = keyOf(object);
    const previousUid = this.uidByKey.get(key);
    const previous = previousUid === undefined ? undefined : this.byUid.get(previousUid);
    if (previous && previousUid !== object.metadata.uid) this.remove(previous);
    const old = this.byUid.get(object.metadata.uid);
    const { resourceVersion } = object.metadata;
    if (old && (old.metadata.resourceVersion === resourceVersion || later(old.metadata.resourceVersion, resourceVersion))) return undefined;
    this.byUid.set(object.metadata.uid, object);
    this.uidByKey.set(key, object.metadata.uid);
    const namespace = object.metadata.namespace ?? '';
    if (!this.uidsByNamespace.has(namespace)) this.uidsByNamespace.set(namespace, new Set());
    this.uidsByNamespace.get(namespace)!.add(object.metadata.uid);
    return { object, old };
  }

  private remove(object: T): void {
    const cached = this.byUid.get(object.metadata.uid);
    if (!cached) return;
    this.byUid.delete(object.metadata.uid);
    if (this.uidByKey.get(keyOf(cached)) === object.metadata.uid) this.uidByKey.delete(keyOf(cached));
    const namespace = this.uidsByNamespace.get(cached.metadata.namespace ?? '');
    namespace?.delete(object.metadata.uid);
    if (namespace?.size === 0) this.uidsByNamespace.delete(cached.metadata.namespace ?? '');
    this.emit({ type: 'delete', object: cached });
  }

  private emit(event: InformerEvent<T>): void {
    for (const handler of this.handlers) handler(event);
  }

  private async resyncLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.options.resyncMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopped || !this.synced) continue;
      for (const object of this.byUid.values()) this.emit({ type: 'resync', object });
    }
  }

  private selectors() {
    const { namespace, labelSelector, fieldSelector } = this.options;
    return { namespace, labelSelector, fieldSelector };
  }
}
