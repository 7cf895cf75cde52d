// Paces a pass whose cost grows with the cluster (a status that counts every namespace), so that
// it takes at most a set share of one core: after a pass that took t, the next waits until t/share
// has gone by since it began. A small cluster's pass, a millisecond, is held back by nothing but
// the caller's own coalescing; one over 20,000 namespaces, 30 ms, runs every 3 s at 1 %.

export class Pacer {
  private readonly share: number;
  private readonly now: () => number;
  private last: { startedAt: number; tookMs: number } | undefined;

  /** `share` of one core, in (0, 1]; `now` a monotonic clock in milliseconds. */
  constructor(share: number, now: () => number = () => performance.now()) {
    if (!(share > 0 && share <= 1)) throw new Error(`pacer: share ${share} is not in (0, 1]`);
    this.share = share;
    this.now = now;
  }

  /** Milliseconds until the next pass may run: 0 when it may now. */
  waitMs(): number {
    if (!this.last) return 0;
    return Math.max(0, this.last.startedAt + this.last.tookMs / this.share - this.now());
  }

  /** Runs one pass (synchronous: its time is its cost) and remembers how long it took. */
  run<T>(pass: () => T): T {
    const startedAt = this.now();
    try {
      return pass();
    } finally {
      this.last = { startedAt, tookMs: this.now() - startedAt };
    }
  }
}
