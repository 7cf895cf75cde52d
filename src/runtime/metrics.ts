// The operator's Prometheus metrics. Names follow controller-runtime and client-go where they
// have one, and the process and Node runtime ones are the Prometheus client's defaults
// (process_*, nodejs_*), so existing dashboards and alerts work; the rest are palisade_*.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from '@prometheus-io/client';
import type { KubeObject, RequestObserver } from './client.ts';
import { findCondition, type Condition } from './conditions.ts';
import type { HeapSample } from './heap.ts';
import type { InformerObserver } from './informer.ts';
import type { QueueObserver } from './workqueue.ts';

export type ReconcileResult = 'success' | 'error' | 'requeue_after';

export class Metrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: 'controller_runtime_reconcile_total', help: 'Reconciliations per controller and result.',
    labelNames: ['controller', 'result'] as const, registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total', help: 'Reconciliations that returned an error.',
    labelNames: ['controller'] as const, registers: [this.registry],
  });
  private readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds', help: 'Time per reconciliation.',
    labelNames: ['controller'] as const, registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  private readonly queueDepth = new Gauge({
    name: 'workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['name'] as const, registers: [this.registry],
  });
  private readonly queueAdds = new Counter({
    name: 'workqueue_adds_total', help: 'Keys added to the work queue.', labelNames: ['name'] as const, registers: [this.registry],
  });
  private readonly queueRetries = new Counter({
    name: 'workqueue_retries_total', help: 'Retries (rate-limited adds) in the work queue.', labelNames: ['name'] as const, registers: [this.registry],
  });
  private readonly queueLatency = new Histogram({
    name: 'workqueue_queue_duration_seconds', help: 'Time a key waits in the queue before a worker takes it.',
    labelNames: ['name'] as const, registers: [this.registry], buckets: [0.001, 0.01, 0.1, 1, 10, 60],
  });
  private readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds', help: 'Time a worker holds a key.',
    labelNames: ['name'] as const, registers: [this.registry], buckets: [0.001, 0.01, 0.1, 1, 10, 60],
  });
  private readonly requests = new Counter({
    name: 'palisade_api_requests_total', help: 'Requests to the Kubernetes API by verb, resource and HTTP code (0: no answer).',
    labelNames: ['verb', 'resource', 'code'] as const, registers: [this.registry],
  });
  private readonly relists = new Counter({
    name: 'palisade_informer_relists_total', help: 'Full lists an informer made (start, and after 410 Gone).',
    labelNames: ['resource'] as const, registers: [this.registry],
  });
  private readonly watchFailures = new Counter({
    name: 'palisade_informer_failures_total', help: 'Failed lists or watches; the informer retries with backoff.',
    labelNames: ['resource'] as const, registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: 'leader_election_master_status', help: '1 while this process holds the lease.', labelNames: ['name'] as const, registers: [this.registry],
  });
  private readonly heapUsed = new Gauge({
    name: 'palisade_heap_used_bytes', help: 'V8 old generation in use (nodejs_heap_space_size_used_bytes outside the young generation), garbage not yet collected included: what palisade_heap_limit_bytes bounds; sampled every few seconds.', registers: [this.registry],
  });
  private readonly heapLimit = new Gauge({
    name: 'palisade_heap_limit_bytes', help: 'V8 old generation limit (--max-old-space-size); the process aborts when use reaches it.', registers: [this.registry],
  });
  private readonly silences = new Map<string, () => number>();
  /** The objects of each kind whose Ready condition is exported, by kind. */
  private readonly readyKinds = new Map<string, () => Iterable<KubeObject>>();
  private processMetrics = false;

  constructor() {
    const silences = this.silences;
    const readiness = () => this.readiness();
    // Read from the caches at each scrape: every replica, standby included, exports what the API
    // server holds, an object deleted is gone at once, and a restart needs no status write first.
    // Each gauge reads them itself, so that one scrape's text is of one moment.
    new Gauge({
      name: 'palisade_object_ready', help: '1 while an object\'s Ready condition is True, else 0; reason is the condition\'s (NoReadyCondition before the first status).',
      labelNames: ['kind', 'namespace', 'name', 'reason'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, ready, reason } of readiness()) this.set({ ...labels, reason }, ready);
      },
    });
    new Gauge({
      name: 'palisade_object_ready_transition_timestamp_seconds', help: 'When the Ready condition of an object last changed status (its lastTransitionTime).',
      labelNames: ['kind', 'namespace', 'name'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, transitionSeconds } of readiness()) if (transitionSeconds !== undefined) this.set(labels, transitionSeconds);
      },
    });
    new Gauge({
      name: 'palisade_informer_last_event_age_seconds', help: 'Seconds since an informer last heard from the API server.',
      labelNames: ['resource'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const [resource, silenceMs] of silences) this.set({ resource }, silenceMs() / 1000);
      },
    });
  }

  readonly observeRequest: RequestObserver = (verb, resource, code) => this.requests.inc({ verb, resource, code: String(code) });

  queueObserver(name: string): QueueObserver {
    return {
      added: () => this.queueAdds.inc({ name }),
      depth: (length) => this.queueDepth.set({ name }, length),
      waited: (ms) => this.queueLatency.observe({ name }, ms / 1000),
      worked: (ms) => this.workDuration.observe({ name }, ms / 1000),
      retried: () => this.queueRetries.inc({ name }),
    };
  }

  informerObserver(resource: string, silenceMs: () => number): InformerObserver {
    this.silences.set(resource, silenceMs);
    return {
      relisted: () => this.relists.inc({ resource }),
      failed: () => this.watchFailures.inc({ resource }),
    };
  }

  /** A cache stopped for good (its resource no longer served): its silence is no one's concern. */
  forgetInformer(resource: string): void {
    this.silences.delete(resource);
  }

  reconciled(controller: string, result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ controller, result });
    if (result === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileTime.observe({ controller }, seconds);
  }

  leading(name: string, isLeader: boolean): void {
    this.leader.set({ name }, isLeader ? 1 : 0);
  }

  heap({ usedBytes, limitBytes }: HeapSample): void {
    this.heapUsed.set(usedBytes);
    this.heapLimit.set(limitBytes);
  }

  private *readiness(): Generator<Readiness & { labels: { kind: string; namespace: string; name: string } }> {
    for (const [kind, objects] of this.readyKinds) {
      for (const object of objects()) yield { labels: { kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name }, ...readinessOf(object) };
    }
  }

  /**
   * The Prometheus client's process and Node metrics: process_cpu_seconds_total,
   * process_resident_memory_bytes, process_start_time_seconds, process_open_fds,
   * nodejs_eventloop_lag_seconds (and its percentiles), nodejs_heap_size_used_bytes,
   * nodejs_heap_space_size_used_bytes{space}, nodejs_gc_duration_seconds{kind}, ... Once per
   * registry: they keep an event-loop delay monitor and a GC observer running.
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, gcDurationBuckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });
  }

  /** `name{labels} 1`: what the process is (version, commit, ...), as Prometheus' *_build_info metrics are. */
  buildInfo(name: string, labels: Readonly<Record<string, string>>): void {
    new Gauge({ name, help: 'Always 1; the labels say which build runs.', labelNames: Object.keys(labels), registers: [this.registry] }).set(labels, 1);
  }

  /**
   * Exports palisade_object_ready for each object `objects` yields, as `kind`: for a kind that
   * reports a Ready condition in status.conditions. A kind registered twice is exported once.
   */
  objectReadiness(kind: string, objects: () => Iterable<KubeObject>): void {
    if (!this.readyKinds.has(kind)) this.readyKinds.set(kind, objects);
  }

  /** A gauge whose series `series` computes at each scrape (from a cache, say): no series is left over from an object gone. */
  scrapedGauge(name: string, help: string, labelNames: readonly string[], series: () => Iterable<{ labels: Readonly<Record<string, string>>; value: number }>): void {
    new Gauge({
      name, help, labelNames, registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, value } of series()) this.set(labels, value);
      },
    });
  }
}

export interface Readiness {
  ready: 0 | 1;
  reason: string;
  /** The Ready condition's lastTransitionTime, in seconds since the epoch. */
  transitionSeconds: number | undefined;
}

/** What an object's status.conditions say of Ready, by the API conventions (no Ready yet: not ready). */
export function readinessOf(object: KubeObject): Readiness {
  const status = (object as { status?: { conditions?: readonly Condition[] } }).status;
  const condition = findCondition(Array.isArray(status?.conditions) ? status.conditions : undefined, 'Ready');
  if (!condition) return { ready: 0, reason: 'NoReadyCondition', transitionSeconds: undefined };
  const transition = Date.parse(condition.lastTransitionTime);
  return {
    ready: condition.status === 'True' ? 1 : 0,
    reason: condition.reason || condition.status,
    transitionSeconds: Number.isNaN(transition) ? undefined : transition / 1000,
  };
}
