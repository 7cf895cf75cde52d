// Kubernetes Events (events.k8s.io/v1) about our objects. A repeat of the same event is folded
// into the first one's series, patched at most once a minute, so a hot loop cannot flood etcd.
import { randomBytes } from 'node:crypto';
import { events } from '../kubernetes/resources.ts';
import type { KubeClient, KubeObject } from './client.ts';
import { microTime } from './time.ts';

const SERIES_INTERVAL_MS = 60_000;
const FORGET_AFTER_MS = 30 * 60_000;

export type EventType = 'Normal' | 'Warning';

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  patchedAt: number;
  seenAt: number;
}


export class EventRecorder {
  private readonly client: KubeClient;
  private readonly controller: string;
  private readonly instance: string;
  private readonly recorded = new Map<string, Recorded>();

  private readonly clock: () => Date;

  /** `clock` is the operator's: the series' timing and the events' times follow it. */
  constructor(client: KubeClient, controller: string, instance: string, clock: () => Date) {
    this.client = client;
    this.controller = controller;
    this.instance = instance;
    this.clock = clock;
  }

  /** Records an event about `regarding`. `note` must name fields and objects, never their secret contents. */
  async record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): Promise<void> {
    const key = [regarding.metadata.uid, type, reason, action, note].join('\u0000');
    const now = this.clock().getTime();
    this.forgetOld(now);
    const seen = this.recorded.get(key);
    if (seen) {
      seen.count += 1;
      seen.seenAt = now;
      if (now - seen.patchedAt < SERIES_INTERVAL_MS) return;
      seen.patchedAt = now;
      await this.client.patch(events, seen, { series: { count: seen.count, lastObservedTime: microTime(new Date(now)) } }, { type: 'merge' });
      return;
    }
    const namespace = regarding.metadata.namespace ?? 'default';
    const name = `${regarding.metadata.name}.${randomBytes(8).toString('hex')}`;
    this.recorded.set(key, { name, namespace, count: 1, patchedAt: now, seenAt: now });
    const event = {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name, namespace },
      eventTime: microTime(new Date(now)), type, reason, action, note: note.slice(0, 1024),
      reportingController: this.controller, reportingInstance: this.instance,
      regarding: {
        apiVersion: regarding.apiVersion, kind: regarding.kind, name: regarding.metadata.name,
        namespace: regarding.metadata.namespace, uid: regarding.metadata.uid, resourceVersion: regarding.metadata.resourceVersion,
      },
    };
    await this.client.create(events, event);
  }

  private forgetOld(now: number): void {
    for (const [key, seen] of this.recorded) if (now - seen.seenAt > FORGET_AFTER_MS) this.recorded.delete(key);
  }
}
