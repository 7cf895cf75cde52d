// A work queue with client-go's semantics: a key is queued at most once however often it is
// added; a key added while a worker holds it runs once more after `done`, never twice at once;
// delayed and rate-limited adds; and a drain on shutdown that lets in-flight work finish.
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** What the queue reports for metrics; every hook is optional. */
export interface QueueObserver {
  added?(): void;
  depth?(length: number): void;
  /** Time a key waited between being queued and handed to a worker. */
  waited?(ms: number): void;
  /** Time a worker held a key. */
  worked?(ms: number): void;
  retried?(): void;
}

export class WorkQueue {
  /** Keys from `head` on wait, oldest first: a resync queues every object, and shifting an array that long copies it each time. */
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly queuedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly limiter: RateLimiter;
  private readonly observer: QueueObserver;
  private shuttingDown = false;

  constructor(limiter: RateLimiter = defaultControllerRateLimiter(), observer: QueueObserver = {}) {
    this.limiter = limiter;
    this.observer = observer;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer.added?.();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = performance.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after the rate limiter's delay: for a retry after a failure. */
  addRateLimited(key: string): void {
    this.observer.retried?.();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Ends the backoff of `key`: call when it succeeded or was given up. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** The next key to work on; undefined once the queue is shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.next();
    if (key !== undefined) return Promise.resolve(this.hand(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the work on `key` finished; a key added meanwhile is queued again. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.observer.worked?.(performance.now() - started);
    if (this.dirty.has(key)) this.enqueue(key);
    if (this.processing.size === 0) this.idle.splice(0).forEach((resolve) => resolve());
  }

  /** Stops accepting keys, wakes idle workers, and resolves once every key handed out is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue = [];
    this.head = 0;
    this.dirty.clear();
    this.waiters.splice(0).forEach((resolve) => resolve(undefined));
    if (this.processing.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private enqueue(key: string): void {
    this.queuedAt.set(key, performance.now());
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.hand(key));
    else this.queue.push(key);
    this.observer.depth?.(this.length);
  }

  /** The oldest waiting key; the keys handed out are dropped once they are half the array. */
  private next(): string | undefined {
    if (this.head === this.queue.length) return undefined;
    const key = this.queue[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private hand(key: string): string {
    const now = performance.now();
    this.dirty.delete(key);
    this.processing.set(key, now);
    this.observer.waited?.(now - (this.queuedAt.get(key) ?? now));
    this.queuedAt.delete(key);
    this.observer.depth?.(this.length);
    return key;
  }
}
