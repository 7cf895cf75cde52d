// How long a key waits before it is retried: client-go's default controller rate limiter, the
// slower of a per-key exponential backoff and a token bucket shared by all keys.

export interface RateLimiter {
  /** The delay before `key` may be processed again, counting this as one more failure. */
  when(key: string): number;
  /** Clears the failure history of `key` (after it succeeded, or was given up). */
  forget(key: string): void;
  /** How many times `key` failed since it was last forgotten. */
  retries(key: string): number;
}

/** base · 2^failures, capped at max, per key. */
export class ExponentialBackoff implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** A token bucket of `burst` tokens refilled at `qps`: the delay until the next free token. */
export class TokenBucket implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(qps = 10, burst = 100, now: () => number = () => performance.now()) {
    this.qps = qps;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  when(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay any of `limiters` asks for. */
export class MaxOf implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.when(key)));
  }

  forget(key: string): void {
    this.limiters.forEach((limiter) => limiter.forget(key));
  }

  retries(key: string): number {
    return Math.max(...this.limiters.map((limiter) => limiter.retries(key)));
  }
}

export const defaultControllerRateLimiter = (): RateLimiter => new MaxOf(new ExponentialBackoff(), new TokenBucket());
