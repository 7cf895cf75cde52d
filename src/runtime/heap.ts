// The V8 heap against its limit. A process that reaches the limit dies of a fatal "heap out of
// memory" that no handler sees, so the watcher publishes use and limit as metrics and logs a
// warning while there is still room to act.
//
// V8 aborts when the old generation outgrows --max-old-space-size. heap_size_limit is not that: it
// adds the young generation's reserve, three semi-spaces, which is nearly empty after every
// scavenge (the operator's flags give 152 MiB, and it dies at 128; --max-old-space-size=128 alone
// gives 320 on a large machine). So use and limit here are the old generation's.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import type { Logger } from './logging.ts';
import type { Metrics } from './metrics.ts';

export interface HeapSample {
  usedBytes: number;
  limitBytes: number;
}

/** The share of the limit at which the watcher warns. */
export const WARN_AT = 0.9;
/** The share use must fall below before a new warning, so a process that hovers near the limit warns once. */
export const REARM_BELOW = 0.8;
export const INTERVAL_MS = 5_000;

const MiB = 2 ** 20;
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);
const OLD_SPACE_FLAG = /--max[-_]old[-_]space[-_]size[= ](\d+)/g;

/**
 * --max-old-space-size in bytes. Node reads NODE_OPTIONS (where the operator's is) before its
 * command line, so the last one given wins. Without the flag V8 sized the heap itself, and the
 * young generation's reserve is a small part of heap_size_limit (192 of 4,288 MiB here).
 */
export function oldSpaceLimit(flags: string, heapSizeLimit: number): number {
  const mib = [...flags.matchAll(OLD_SPACE_FLAG)].at(-1)?.[1];
  return mib === undefined ? heapSizeLimit : Math.min(Number(mib) * MiB, heapSizeLimit);
}

export function readHeap(): HeapSample {
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  const usedBytes = getHeapSpaceStatistics()
    .filter((space) => !YOUNG_SPACES.has(space.space_name))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return { usedBytes, limitBytes: oldSpaceLimit(flags, getHeapStatistics().heap_size_limit) };
}

/** Whether to warn about this sample, and whether a warning is outstanding after it. */
export function heapWarning(sample: HeapSample, warned: boolean): { warn: boolean; warned: boolean } {
  const share = sample.usedBytes / sample.limitBytes;
  if (warned) return { warn: false, warned: share >= REARM_BELOW };
  return { warn: share >= WARN_AT, warned: share >= WARN_AT };
}

export class HeapWatcher {
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly read: () => HeapSample;
  private warned = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, metrics: Metrics, read: () => HeapSample = readHeap) {
    this.logger = logger;
    this.metrics = metrics;
    this.read = read;
  }

  /** Samples now, so the gauges are set before the first scrape, and then every intervalMs. */
  start(intervalMs = INTERVAL_MS): void {
    this.sample();
    // Unref'd: watching memory is no reason to keep the process alive.
    this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the heap, updates the gauges, and warns if use has just crossed WARN_AT. */
  sample(): HeapSample {
    const sample = this.read();
    this.metrics.heap(sample);
    const { warn, warned } = heapWarning(sample, this.warned);
    this.warned = warned;
    if (warn) {
      this.logger.warn('heap nearly full', {
        usedMiB: Math.round(sample.usedBytes / MiB),
        limitMiB: Math.round(sample.limitBytes / MiB),
        percent: Math.round((sample.usedBytes / sample.limitBytes) * 100),
      });
    }
    return sample;
  }
}
