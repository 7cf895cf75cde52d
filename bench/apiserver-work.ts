// What kube-apiserver did during a phase, read off its own /metrics: the requests it served, by
// verb and resource (the two phases of a pair must make the same ones), the seconds they took, and
// the watch events it sent with their bytes, and its requests to etcd. Its CPU alone says that one
// phase cost it more; these say on what.
import type { KubeClient } from '../src/runtime/client.ts';

export interface ApiserverEndpoint {
  client: KubeClient;
  /** Its URL: the client's own server, or one of several. */
  server: string;
}

/** Per "VERB resource[/subresource]" (with " dry-run" when it was one): requests, and the seconds spent serving them. */
export type RequestWork = Record<string, { count: number; seconds: number }>;
/** Per resource: watch events sent (one per watcher), and their MiB. */
export type WatchWork = Record<string, { events: number; MiB: number }>;
/** Per "operation resource" (get, update, list… of a resource): the requests it made to etcd. */
export type EtcdWork = Record<string, number>;
export interface ApiserverWork {
  requests: RequestWork;
  watchEvents: WatchWork;
  etcdRequests: EtcdWork;
}

type Sample = { name: string; labels: Record<string, string>; value: number };

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of the Prometheus text format's lines (comments and blank lines skipped). */
export function samples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = SAMPLE.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key!, value!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

const requestKey = ({ verb, resource, subresource, dry_run: dryRun }: Record<string, string>) =>
  `${verb} ${resource}${subresource ? `/${subresource}` : ''}${dryRun ? ' dry-run' : ''}`;

/** Sums of `name` grouped by `key`. */
function grouped(all: Sample[], name: string, key: (labels: Record<string, string>) => string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of all) if (sample.name === name) sums.set(key(sample.labels), (sums.get(key(sample.labels)) ?? 0) + sample.value);
  return sums;
}

type Totals = Record<'count' | 'seconds' | 'events' | 'bytes' | 'etcd', Map<string, number>>;

function totals(text: string): Totals {
  const all = samples(text);
  const byResource = ({ resource }: Record<string, string>) => resource ?? '';
  return {
    count: grouped(all, 'apiserver_request_total', requestKey),
    seconds: grouped(all, 'apiserver_request_duration_seconds_sum', requestKey),
    events: grouped(all, 'apiserver_watch_events_total', byResource),
    bytes: grouped(all, 'apiserver_watch_events_sizes_sum', byResource),
    etcd: grouped(all, 'etcd_request_duration_seconds_count', ({ operation, resource }) => `${operation} ${resource}`),
  };
}

const grown = (before: Map<string, number>, after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

/** What grew between two readings, leaving out what did not. */
function work(before: Totals, after: Totals): ApiserverWork {
  const requests: RequestWork = {};
  for (const key of after.count.keys()) {
    const count = grown(before.count, after.count, key);
    if (count > 0) requests[key] = { count, seconds: +grown(before.seconds, after.seconds, key).toFixed(2) };
  }
  const watchEvents: WatchWork = {};
  for (const key of after.events.keys()) {
    const events = grown(before.events, after.events, key);
    if (events > 0) watchEvents[key] = { events, MiB: +(grown(before.bytes, after.bytes, key) / 2 ** 20).toFixed(1) };
  }
  const etcdRequests: EtcdWork = {};
  for (const key of after.etcd.keys()) {
    const count = grown(before.etcd, after.etcd, key);
    if (count > 0) etcdRequests[key] = count;
  }
  return { requests, watchEvents, etcdRequests };
}

/** Starts reading what kube-apiserver does; the function returned says what it did since. */
export async function apiserverMeter({ client, server }: ApiserverEndpoint): Promise<() => Promise<ApiserverWork>> {
  const read = async () => totals(await client.getText(server, '/metrics'));
  const before = await read();
  return async () => work(before, await read());
}
