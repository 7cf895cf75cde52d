// An informer: a reflector that keeps a local cache of one kind in step with the API server, and
// tells handlers what changed. Lists page by page, watches from the list's resourceVersion with
// bookmarks, keys the cache by UID (a delete and re-create is a delete and an add), relists at once
// on 410 Gone emitting only the real difference, reconnects with jittered backoff forever (started
// over once the server works again), restarts a watch that has gone silent, can resync on a
// period, and takes a writer's answers ahead of their watch events.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, isGone, type KubeClient, type KubeObject, type Resource, type WatchEvent } from './client.ts';
import { matchesLabels, parseLabelSelector, type LabelRequirement } from './label-selector.ts';
import { changeHead } from './watch-line.ts';
import type { Writer } from './writer.ts';

export type InformerEvent<T extends KubeObject> =
  /** `writtenBy`: told from a write's answer (assume), the reconcile that made it. */
  | { type: 'add'; object: T; writtenBy?: Writer }
  | { type: 'update'; object: T; old: T; writtenBy?: Writer }
  | { type: 'delete'; object: T }
  /** Periodic re-delivery of a cached object that did not change. */
  | { type: 'resync'; object: T };

export interface InformerObserver {
  relisted?(): void;
  event?(): void;
  /** A list or watch failed; the informer retries after `delayMs`. Every failure: a 410 Gone answered with a relist is none. */
  failed?(error: unknown, delayMs: number): void;
  /** Failures in a row have gone on for `forMs`, at least `persistentFailureMs`: said once per run of them. */
  failing?(error: unknown, forMs: number): void;
  /** The server answers again (a list, an event or bookmark, a watch that lasted) after a run of failures said `failing`, `forMs` after it began. */
  recovered?(forMs: number): void;
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
  /**
   * How long failures must go on, in a row, before the observer hears `failing`: a restarted
   * apiserver refuses watches for a second or two, until its RBAC authorizer's cache has filled.
   */
  persistentFailureMs?: number;
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

/** The cached `cached` is at `resourceVersion` or a later one. */
const notOlderThan = (cached: KubeObject, resourceVersion: string) =>
  cached.metadata.resourceVersion === resourceVersion || later(cached.metadata.resourceVersion, resourceVersion);

/** The cached `cached` is at `other`'s resourceVersion or a later one. */
const notOlder = (cached: KubeObject, other: KubeObject) => notOlderThan(cached, other.metadata.resourceVersion);

/** What a metadata-only watch sends of an object: a write's answer is cut to it before it is cached. */
const asMetadata = <T extends KubeObject>(object: T): T => ({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: object.metadata }) as unknown as T;

/** An index (client-go's Indexer): the objects under each key that `keys` gives for an object. */
interface Index<T> {
  keys: (object: T) => readonly string[];
  uidsByKey: Map<string, Set<string>>;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly client: KubeClient;
  private readonly options: Required<Omit<InformerOptions<T>, 'namespace' | 'labelSelector' | 'fieldSelector' | 'transform' | 'metadataOnly'>> & InformerOptions<T>;
  private readonly byUid = new Map<string, T>();
  /**
   * Namespace ('' for cluster-scoped) → name → uid: get and listNamespace without a key string per
   * object. Each entry's namespace string is the one its objects keep: one per namespace, not one per object.
   */
  private readonly uidsByNamespace = new Map<string, { namespace: string; uids: Map<string, string> }>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly labelRequirements: LabelRequirement[] | undefined;
  private readonly handlers: ((event: InformerEvent<T>) => void)[] = [];
  private readonly failureHandlers: ((error: unknown) => void)[] = [];
  private readonly stopping = new AbortController();
  private resourceVersion: string | undefined;
  private watchAbort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private synced = false;
  private lastEvent = performance.now();
  /** Events and bookmarks received: whether a watch delivered anything. */
  private received = 0;
  /** When the current run of failures began, and whether the observer heard it persists. */
  private failingSince: number | undefined;
  private failingSaid = false;

  constructor(client: KubeClient, options: InformerOptions<T>) {
    this.client = client;
    this.options = {
      pageSize: 500, resyncMs: 0, silenceMs: 90_000, watchTimeoutSeconds: 300,
      backoff: { initialMs: 500, maxMs: 30_000 }, persistentFailureMs: 10_000, observer: {}, ...options,
    };
    this.labelRequirements = options.labelSelector === undefined ? undefined : parseLabelSelector(options.labelSelector);
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

  /**
   * Hears each failed list or watch, before its retry: a 404 says the server no longer serves the
   * resource (its CRD removed, or the version dropped), which only the cache's reader can act on.
   */
  onFailure(handler: (error: unknown) => void): void {
    this.failureHandlers.push(handler);
  }

  get(name: string, namespace?: string): T | undefined {
    const uid = this.uidsByNamespace.get(namespace ?? '')?.uids.get(name);
    return uid === undefined ? undefined : this.byUid.get(uid);
  }

  getByUid(uid: string): T | undefined {
    return this.byUid.get(uid);
  }

  list(): T[] {
    return [...this.byUid.values()];
  }

  get size(): number {
    return this.byUid.size;
  }

  /** The cached objects of one namespace, from an index: reconciles call this per object, so it must not scan. */
  listNamespace(namespace: string): T[] {
    return [...(this.uidsByNamespace.get(namespace)?.uids.values() ?? [])].map((uid) => this.byUid.get(uid)!);
  }

  /** Keeps an index of the cached objects by the keys `keys` gives each: `byIndex` then finds them without a scan. */
  addIndex(name: string, keys: (object: T) => readonly string[]): void {
    if (this.indexes.has(name)) throw new Error(`informer of ${this.options.resource.resource}: index ${name} exists`);
    const index: Index<T> = { keys, uidsByKey: new Map() };
    this.indexes.set(name, index);
    for (const object of this.byUid.values()) indexObject(index, object);
  }

  byIndex(name: string, key: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer of ${this.options.resource.resource}: no index ${name}`);
    return [...(index.uidsByKey.get(key) ?? [])].map((uid) => this.byUid.get(uid)!);
  }

  /**
   * Caches `written`, the server's answer to a write this process just made, ahead of its watch
   * event: a reconcile in between would otherwise decide on the old object and write again (client-go's
   * MutationCache). Only a write the informer has not seen past: then nothing in the cache is newer,
   * and no deletion of it can have been missed. The watch event, at the same resourceVersion, is
   * then no change and tells nobody, and older ones do not step back over it: so handlers hear of
   * the change now, as the event would have said it, with who wrote it (a reconcile need not be
   * started again by its own write).
   */
  assume(written: T, writer?: Writer): void {
    const { fieldSelector, namespace } = this.options;
    // The cache holds only what the selectors let through: an object this watch would not see is not for it.
    if (fieldSelector || (namespace && written.metadata.namespace !== namespace)) return;
    if (this.labelRequirements && !matchesLabels(this.labelRequirements, written.metadata.labels)) return;
    if (this.resourceVersion === undefined || !later(written.metadata.resourceVersion, this.resourceVersion)) return;
    const stored = this.store(this.shape(written));
    if (stored) this.emit({ ...changeEvent(stored), ...(writer ? { writtenBy: writer } : {}) });
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
      const resuming = this.resourceVersion !== undefined;
      const received = this.received;
      let listed = false;
      let error: unknown;
      try {
        if (!resuming) {
          await this.relist();
          listed = true;
        }
        const started = performance.now();
        const restartedBySilence = await this.watch();
        if (restartedBySilence || performance.now() - started >= MIN_HEALTHY_WATCH_MS) {
          failures = 0;
          this.answered();
          continue;
        }
      } catch (caught) {
        if (this.stopped) return;
        error = caught;
      }
      const watched = this.received > received;
      // A 410 to a list, or to the watch from a list just made before it delivered anything: this
      // server cannot watch from the lists it gives.
      const goneAtOnce = isGone(error) && !resuming && !watched;
      // The server works: a list succeeded, or the watch delivered an event or a bookmark, however
      // it ended. So the backoff an outage built up holds back nothing that fails now.
      if (watched || (listed && !goneAtOnce)) failures = 0;
      if (isGone(error)) {
        this.resourceVersion = undefined;
        // The version the watch started from has expired (compacted, or older than a restarted
        // apiserver's new cache): the server is fine, and the relist goes at once.
        if (!goneAtOnce) continue;
      }
      // Anything else waits, longer each time in a row: a failure, a 410 at once, or a watch the
      // server ends at once without an error. Only a watch that lasted, or the relist after a
      // watch's 410, goes round without a wait: whatever the server does, this loop never floods it.
      const delayMs = this.backoffMs(failures++);
      if (error !== undefined) this.tellFailure(error, delayMs);
      await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** Tells the observer of a failure, and once, when a run of them persists, that it does. */
  private tellFailure(error: unknown, delayMs: number): void {
    const now = performance.now();
    this.failingSince ??= now;
    this.options.observer.failed?.(error, delayMs);
    for (const handler of this.failureHandlers) handler(error);
    if (this.failingSaid || now - this.failingSince < this.options.persistentFailureMs) return;
    this.failingSaid = true;
    this.options.observer.failing?.(error, now - this.failingSince);
  }

  /** The server answered: a run of failures is over, and if the observer heard it persist, it hears it ended. */
  private answered(): void {
    if (this.failingSince === undefined) return;
    if (this.failingSaid) this.options.observer.recovered?.(performance.now() - this.failingSince);
    this.failingSince = undefined;
    this.failingSaid = false;
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
      // An empty PartialObjectMetadataList comes with `items: null`. Shaped page by page: a list of
      // 50,000 whole objects held until its end would take more heap than the cache they make.
      for (const object of page.items ?? []) items.push(this.shape(object));
      resourceVersion = page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
      if (token === undefined) break;
    }
    this.answered();
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
      }, AbortSignal.any([abort.signal, this.stopping.signal]), (event) => this.apply(event), this.options, (line) => this.takeEcho(line));
    } finally {
      clearInterval(watchdog);
    }
    return silent;
  }

  private apply(event: WatchEvent<T>): void {
    this.heard();
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new ApiError(status.code ?? 0, status.reason ?? '', status.message ?? 'watch error');
    }
    this.delivered();
    if (event.type === 'DELETED') this.remove(event.object);
    else if (event.type !== 'BOOKMARK') this.upsert(this.shape(event.object));
    this.resourceVersion = event.object.metadata.resourceVersion;
  }

  /**
   * An added or modified object the cache holds at that resourceVersion already (the echo of a
   * write it assumed): the event would change nothing and tell nobody (store), so it is counted
   * without being parsed.
   */
  private takeEcho(line: string): boolean {
    const head = changeHead(line);
    const cached = head && this.byUid.get(head.uid);
    if (!head || !cached || !notOlderThan(cached, head.resourceVersion)) return false;
    this.heard();
    this.delivered();
    this.resourceVersion = head.resourceVersion;
    return true;
  }

  /** Any event, an error included: the watch is not silent. */
  private heard(): void {
    this.lastEvent = performance.now();
    this.options.observer.event?.();
  }

  /** An event or a bookmark: the server works. */
  private delivered(): void {
    this.received++;
    this.answered();
  }

  private upsert(object: T): void {
    const stored = this.store(object);
    if (stored) this.emit(changeEvent(stored));
  }

  /**
   * What the cache keeps of `received`: the cached object itself when that is as new (no work for
   * an echo or an unchanged object on a relist), else `received` cut to metadata where only that
   * is cached, and transformed.
   */
  private shape(received: T): T {
    const cached = this.byUid.get(received.metadata.uid);
    if (cached && notOlder(cached, received)) return cached;
    const cut = this.options.metadataOnly ? asMetadata(received) : received;
    return this.options.transform ? this.options.transform(cut) : cut;
  }

  /** Caches `object` (shaped) unless the cache holds it at that resourceVersion or a later one; says what it replaced. */
  private store(object: T): { object: T; old: T | undefined } | undefined {
    const { uid, name, namespace = '' } = object.metadata;
    const previousUid = this.uidsByNamespace.get(namespace)?.uids.get(name);
    const previous = previousUid === undefined ? undefined : this.byUid.get(previousUid);
    if (previous && previousUid !== uid) this.remove(previous);
    const old = this.byUid.get(uid);
    if (old && notOlder(old, object)) return undefined;
    if (old) this.indexes.forEach((index) => unindexObject(index, old));
    this.byUid.set(uid, object);
    if (!this.uidsByNamespace.has(namespace)) this.uidsByNamespace.set(namespace, { namespace, uids: new Map() });
    const entry = this.uidsByNamespace.get(namespace)!;
    entry.uids.set(name, uid);
    if (object.metadata.namespace !== undefined) object.metadata.namespace = entry.namespace;
    this.indexes.forEach((index) => indexObject(index, object));
    return { object, old };
  }

  private remove(object: T): void {
    const cached = this.byUid.get(object.metadata.uid);
    if (!cached) return;
    const { uid, name, namespace = '' } = cached.metadata;
    this.byUid.delete(uid);
    const names = this.uidsByNamespace.get(namespace)?.uids;
    if (names?.get(name) === uid) names.delete(name);
    if (names?.size === 0) this.uidsByNamespace.delete(namespace);
    this.indexes.forEach((index) => unindexObject(index, cached));
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

/** What a store of an object says to handlers: an add, or an update from what it replaced. */
function changeEvent<T extends KubeObject>({ object, old }: { object: T; old: T | undefined }): InformerEvent<T> {
  return old ? { type: 'update', object, old } : { type: 'add', object };
}

function indexObject<T extends KubeObject>(index: Index<T>, object: T): void {
  for (const key of index.keys(object)) {
    if (!index.uidsByKey.has(key)) index.uidsByKey.set(key, new Set());
    index.uidsByKey.get(key)!.add(object.metadata.uid);
  }
}

function unindexObject<T extends KubeObject>(index: Index<T>, object: T): void {
  for (const key of index.keys(object)) {
    const uids = index.uidsByKey.get(key);
    uids?.delete(object.metadata.uid);
    if (uids?.size === 0) index.uidsByKey.delete(key);
  }
}
