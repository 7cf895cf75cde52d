// Paces a pass whose cost grows with the cluster (a status that counts every namespace), so that
// it takes at most a set share of one core: after a pass that took t, the next waits until t/share
// has gone by since it began, but never longer than a set most (one pass slowed by a full garbage
// collection, or by a busy machine, must not hold the next back for long). A small cluster's
// pass, a millisecond, is held back by nothing but the caller's own coalescing; one over 20,000
// namespaces, 30 ms, runs every 3 s at 1 %.

export class Pacer {
  private readonly share: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private last: { startedAt: number; tookMs: number } | undefined;

  /** `share` of one core, in (0, 1]; waits of at most `maxWaitMs`; `now` a monotonic clock in milliseconds. */
  constructor(share: number, maxWaitMs: number, now: () => number = () => performance.now()) {
    if (!(share > 0 && share <= 1)) throw new Error(`pacer: share ${share} is not in (0, 1]`);
    this.share = share;
    this.maxWaitMs = maxWaitMs;
    this.now = now;
  }

  /** Whole milliseconds until the next pass may run (a timer set to it fires no earlier): 0 when it may now. */
  waitMs(): number {
    if (!this.last) return 0;
    const { startedAt, tookMs } = this.last;
    return Math.ceil(Math.max(0, startedAt + Math.min(tookMs / this.share, this.maxWaitMs) - this.now()));
  }

  /** Runs `pass` (as `run`) if it may run now; else leaves it, and says how long until it may. */
  runWhenDue<T>(pass: () => T): { ran: true; value: T } | { ran: false; waitMs: number } {
    const waitMs = this.waitMs();
    return waitMs > 0 ? { ran: false, waitMs } : { ran: true, value: this.run(pass) };
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

/** A pacer per object, by name: one deleted and made again under its name (a new uid) is paced afresh. */
export class PacerPerObject {
  private readonly share: number;
  private readonly maxWaitMs: number;
  private readonly byName = new Map<string, { uid: string; pacer: Pacer }>();

  constructor(share: number, maxWaitMs: number) {
    this.share = share;
    this.maxWaitMs = maxWaitMs;
  }

  of({ name, uid }: { name: string; uid: string }): Pacer {
    const known = this.byName.get(name);
    if (known?.uid === uid) return known.pacer;
    const pacer = new Pacer(this.share, this.maxWaitMs);
    this.byName.set(name, { uid, pacer });
    return pacer;
  }

  /** The object is gone. */
  forget(name: string): void {
    this.byName.delete(name);
  }
}
