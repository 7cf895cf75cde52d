// What kube-apiserver did during a phase, read off its own /metrics: the requests it served, by
// verb and resource (the two phases of a pair must make the same ones), the seconds they took, and
// the watch events it sent with their bytes, and its requests to etcd. Its CPU alone says that one
// phase cost it more; these say on what.
import type { KubeClient } from '../src/runtime/client.ts';
import { samples, type Sample } from '../harness/prometheus-text.ts';

export interface ApiserverEndpoint {
  client: KubeClient;
  /** Its URL: the client's own server, or one of several. */
  server: string;
}

/**
 * Per "VERB resource[/subresource]" (with " dry-run" when it was one): requests, and the seconds
 * spent serving them (not for watches and execs: see LONG_RUNNING).
 */
export type RequestWork = Record<string, { count: number; seconds?: number }>;
/** Per resource: watch events sent (one per watcher), and their MiB. */
export type WatchWork = Record<string, { events: number; MiB: number }>;
/** Per "operation resource" (get, update, list… of a resource): the requests it made to etcd. */
export type EtcdWork = Record<string, number>;
export interface ApiserverWork {
  requests: RequestWork;
  watchEvents: WatchWork;
  etcdRequests: EtcdWork;
}

const requestKey = ({ verb, resource, subresource, dry_run: dryRun }: Record<string, string>) =>
  `${verb} ${resource}${subresource ? `/${subresource}` : ''}${dryRun ? ' dry-run' : ''}`;

/** Sums of `name` grouped by `key`. */
function grouped(all: Sample[], name: string, key: (labels: Record<string, string>) => string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of all) {
    if (sample.name !== name) continue;
    const group = key(sample.labels);
    sums.set(group, (sums.get(group) ?? 0) + sample.value);
  }
  return sums;
}

const METRICS = {
  count: 'apiserver_request_total',
  seconds: 'apiserver_request_duration_seconds_sum',
  events: 'apiserver_watch_events_total',
  bytes: 'apiserver_watch_events_sizes_sum',
  etcd: 'etcd_request_duration_seconds_count',
} as const;
type Totals = Record<keyof typeof METRICS, Map<string, number>>;

function totals(text: string): Totals {
  const all = samples(text, Object.values(METRICS));
  const byResource = ({ resource = '' }: Record<string, string>) => resource;
  return {
    count: grouped(all, METRICS.count, requestKey),
    seconds: grouped(all, METRICS.seconds, requestKey),
    events: grouped(all, METRICS.events, byResource),
    bytes: grouped(all, METRICS.bytes, byResource),
    etcd: grouped(all, METRICS.etcd, ({ operation = '', resource = '' }) => `${operation} ${resource}`),
  };
}

/**
 * A watch or an exec is served for as long as it stays open, and kube-apiserver counts it, and its
 * seconds, when it ends: a phase's WATCH count is the watches that ended in it, and their seconds
 * would be those of watches open since before it, so none are given. (A followed pods/log or a
 * proxy GET is long-running too; no benchmark makes one.)
 */
const LONG_RUNNING = /^(WATCH|CONNECT) /;

/** What grew between two readings, leaving out what did not. */
function work(before: Totals, after: Totals): ApiserverWork {
  const growth = (of: keyof Totals, key: string) => (after[of].get(key) ?? 0) - (before[of].get(key) ?? 0);
  const whereGrown = <T>(of: keyof Totals, figures: (key: string) => T): Record<string, T> =>
    Object.fromEntries([...after[of].keys()].filter((key) => growth(of, key) > 0).map((key) => [key, figures(key)]));
  return {
    requests: whereGrown('count', (key) => ({
      count: growth('count', key), ...!LONG_RUNNING.test(key) && { seconds: +growth('seconds', key).toFixed(2) },
    })),
    watchEvents: whereGrown('events', (key) => ({ events: growth('events', key), MiB: +(growth('bytes', key) / 2 ** 20).toFixed(1) })),
    etcdRequests: whereGrown('etcd', (key) => growth('etcd', key)),
  };
}

/** Starts reading what kube-apiserver does; the function returned says what it did since. */
export async function apiserverMeter({ client, server }: ApiserverEndpoint): Promise<() => Promise<ApiserverWork>> {
  const read = async () => totals(await client.getText(server, '/metrics'));
  const before = await read();
  return async () => work(before, await read());
}
