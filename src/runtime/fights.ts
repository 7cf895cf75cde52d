// Another field manager taking the same fields of the same object back, again and again (a GitOps
// tool force-applying its own version, say): reverting it each time only makes two controllers
// write in a loop. The first re-take is drift and is reverted at once; from the second on it is a
// fight: reverts back off exponentially, and the fight is reported (steadily, so that status does
// not flip) until the other manager has left the fields alone for a while.
import type { StatusCause } from './client.ts';

/** Another manager holding fields an apply wanted, from the API server's conflict answer. */
export interface FieldConflict {
  manager: string;
  fields: string[];
}

export const FIRST_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** Quiet for this long after a revert: the fight is over. */
export const QUIET_MS = 2 * MAX_BACKOFF_MS;

interface Fight {
  conflict: FieldConflict;
  /** What we applied when we last reverted: wanting something else ends the backoff. */
  desired: string;
  /** Re-takes after a revert of ours: 0 is plain drift, 1 and more a fight. */
  retakes: number;
  revertedAt: number;
}

/** A fight under way: what to report, and when to look again. */
export interface FightReport {
  conflict: FieldConflict;
  retryAfterMs: number;
}

const backoff = (retakes: number) => Math.min(FIRST_BACKOFF_MS * 2 ** (retakes - 1), MAX_BACKOFF_MS);

export class FightTracker {
  private readonly fights = new Map<string, Fight>();

  /** Set while backing off from a fight over `object`: then no apply is tried. */
  waiting(object: string, desired: string, nowMs: number): FightReport | undefined {
    const fight = this.fights.get(object);
    if (!fight || fight.retakes === 0 || fight.desired !== desired) return undefined;
    const retryAfterMs = fight.revertedAt + backoff(fight.retakes) - nowMs;
    return retryAfterMs > 0 ? { conflict: fight.conflict, retryAfterMs } : undefined;
  }

  /**
   * A conflict on `object`, which the caller now reverts: new (drift, no report), or the same
   * manager taking the same fields back after our last revert (a fight).
   */
  conflicted(object: string, conflict: FieldConflict, desired: string, nowMs: number): FightReport | undefined {
    this.forgetQuiet(nowMs);
    const previous = this.fights.get(object);
    const again = previous && previous.conflict.manager === conflict.manager && nowMs - previous.revertedAt < QUIET_MS
      && conflict.fields.some((field) => previous.conflict.fields.includes(field));
    const fight: Fight = { conflict, desired, retakes: again ? previous.retakes + 1 : 0, revertedAt: nowMs };
    this.fights.set(object, fight);
    return fight.retakes === 0 ? undefined : { conflict, retryAfterMs: backoff(fight.retakes) };
  }

  /** Objects no longer applied (their owner gone, say) are never settled: forget every quiet fight. */
  private forgetQuiet(nowMs: number): void {
    for (const [object, fight] of this.fights) if (nowMs - fight.revertedAt >= QUIET_MS) this.fights.delete(object);
  }

  /** The object is as we want it: a fight stays reported until the other manager has been quiet for QUIET_MS. */
  settled(object: string, nowMs: number): FightReport | undefined {
    const fight = this.fights.get(object);
    if (!fight) return undefined;
    const quietFor = nowMs - fight.revertedAt;
    if (quietFor >= QUIET_MS || fight.retakes === 0) {
      if (quietFor >= QUIET_MS) this.fights.delete(object);
      return undefined;
    }
    return { conflict: fight.conflict, retryAfterMs: QUIET_MS - quietFor };
  }
}

/** The managers and fields of a server-side apply conflict (409), from the Status causes. */
export function fieldConflicts(causes: readonly StatusCause[]): FieldConflict[] {
  const byManager = new Map<string, string[]>();
  for (const cause of causes) {
    const manager = cause.reason === 'FieldManagerConflict' ? /conflict with "([^"]+)"/.exec(cause.message ?? '')?.[1] : undefined;
    if (manager && cause.field) byManager.set(manager, [...(byManager.get(manager) ?? []), cause.field]);
  }
  return [...byManager].map(([manager, fields]) => ({ manager, fields: fields.sort() }));
}
