// The operator's Prometheus metrics. Names follow controller-runtime and client-go where they
// have one, so existing dashboards and alerts work; the rest are palisade_*.
import { Counter, Gauge, Histogram, Registry } from '@prometheus-io/client';
import type { RequestObserver } from './client.ts';
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
    name: 'palisade_heap_used_bytes', help: 'V8 old generation in use, garbage not yet collected included; sampled every few seconds.', registers: [this.registry],
  });
  private readonly heapLimit = new Gauge({
    name: 'palisade_heap_limit_bytes', help: 'V8 old generation limit (--max-old-space-size); the process aborts when use reaches it.', registers: [this.registry],
  });
  private readonly silences = new Map<string, () => number>();

  constructor() {
    const silences = this.silences;
    new Gauge({
      name: 'palisade_informer_last_event_age_seconds', help: 'Seconds since an informer last heard from the API server.',
      labelNames: ['resource'] as const, registers: [this.registry],
      collect() {
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
}
