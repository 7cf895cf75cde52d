// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing. Expiry is judged by
// the local clock from when this process last saw the lease change, never by the holder's
// timestamps, so clock skew cannot hand the lease to two processes. A leader that cannot renew
// within the renew deadline gives up leading before the lease can expire for anyone else.
import { setTimeout as sleep } from 'node:timers/promises';
import { leases } from '../kubernetes/resources.ts';
import type { KubeClient } from './client.ts';
import { microTime } from './time.ts';


export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}


export class LeaderElector {
  private readonly client: KubeClient;
  private readonly options: Required<LeaderElectionOptions>;
  private observed: { record: string; at: number } | undefined;
  private lease: Lease | undefined;

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.client = client;
    this.options = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
  }

  /** Resolves once this process holds the lease; rejects with the abort reason if `signal` fires first. */
  async acquire(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      if (await this.tryAcquireOrRenew()) return;
      await sleep(this.options.retryPeriodMs * (1 + Math.random() * 0.2), undefined, { signal });
    }
  }

  /**
   * Renews the lease every retry period. Resolves when `signal` fires (still holding the lease:
   * call release), and rejects when renewal failed for the whole renew deadline (lease lost).
   */
  async holdUntil(signal: AbortSignal): Promise<void> {
    let renewed = performance.now();
    while (!signal.aborted) {
      await sleep(this.options.retryPeriodMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew()) renewed = performance.now();
      else if (performance.now() - renewed > this.options.renewDeadlineMs) throw new Error('leader election lost: the lease could not be renewed');
    }
  }

  /** Gives the lease up so that another process can take it at once. */
  async release(): Promise<void> {
    if (!this.lease || this.lease.spec.holderIdentity !== this.options.identity) return;
    const now = microTime(new Date());
    await this.write({
      ...this.lease,
      spec: { ...this.lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
    }).catch(() => undefined);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity, leaseDurationMs } = this.options;
    const now = new Date();
    try {
      const current = await this.read();
      if (!current) {
        this.lease = await this.create({
          holderIdentity: identity, leaseDurationSeconds: leaseDurationMs / 1000,
          acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0,
        });
        return true;
      }
      this.observe(current);
      const holder = current.spec.holderIdentity ?? '';
      const expired = this.observed === undefined || performance.now() > this.observed.at + leaseDurationMs;
      if (holder !== '' && holder !== identity && !expired) return false;
      const transition = holder !== identity;
      this.lease = await this.write({
        ...current,
        spec: {
          holderIdentity: identity, leaseDurationSeconds: leaseDurationMs / 1000, renewTime: microTime(now),
          acquireTime: transition ? microTime(now) : current.spec.acquireTime,
          leaseTransitions: (current.spec.leaseTransitions ?? 0) + (transition && holder !== '' ? 1 : 0),
        },
      });
      this.observe(this.lease);
      return true;
    } catch {
      return false;
    }
  }

  private observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: performance.now() };
  }

  private get requestTimeoutMs(): number {
    return Math.min(this.options.retryPeriodMs * 2, this.options.renewDeadlineMs / 2);
  }

  private read(): Promise<Lease | undefined> {
    return this.client.find<Lease>(leases, this.options.name, this.options.namespace, { timeoutMs: this.requestTimeoutMs });
  }

  private create(spec: Lease['spec']): Promise<Lease> {
    const { namespace, name } = this.options;
    return this.client.create<Lease>(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
      { timeoutMs: this.requestTimeoutMs });
  }

  /** An update guarded by resourceVersion: of two writers racing for the lease, one gets 409. */
  private write(lease: Lease): Promise<Lease> {
    return this.client.update<Lease>(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease }, { timeoutMs: this.requestTimeoutMs });
  }
}
