// A small JSON client for the Kubernetes API on one connection pool. client-node builds a new
// undici Agent for every request, so sockets pile up across watch reconnects; here every request
// shares one Agent. Every request has a time limit for its answer to begin, and every one but a
// watch for each part of its body to come (a caller may name a deadline for the whole exchange
// instead); every answer is reported for metrics.
import { Agent, type Dispatcher } from 'undici';
import type { Credentials } from './credentials.ts';

/** A kind's REST endpoint: what client-go calls a GroupVersionResource, and its scope. */
export interface Resource {
  group: string;
  version: string;
  kind: string;
  /** The plural, lower-case resource name: `configmaps`, `namespaceringfences`. */
  resource: string;
  namespaced: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[] | null;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** One cause of a failed request, from the Status's details (a field in conflict, a field invalid). */
export interface StatusCause {
  /** The cause's type (metav1.CauseType), named `reason` in JSON. */
  reason?: string;
  message?: string;
  field?: string;
}

/** A failed request: `code` is the HTTP status (0 when there was no answer), `reason` the Status reason. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly causes: readonly StatusCause[];

  constructor(code: number, reason: string, message: string, causes: readonly StatusCause[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }
}

export interface RequestObserver {
  (verb: string, resource: string, code: number): void;
}

export interface ClientOptions {
  timeoutMs?: number;
  observe?: RequestObserver;
}

type Query = Record<string, string | number | boolean | undefined>;
type RequestOptions = { query?: Query; body?: unknown; contentType?: string; accept?: string | undefined; timeoutMs?: number };

/** What create and update send: an object with its identity. */
export interface KubeObjectBody {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string | undefined; resourceVersion?: string };
  [field: string]: unknown;
}

export interface WriteOptions {
  fieldManager?: string;
  /** Take fields over from other managers (server-side apply only). */
  force?: boolean;
  /** A server dry run: admission runs, nothing is stored. */
  dryRun?: boolean;
  timeoutMs?: number;
}

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface PatchOptions extends WriteOptions {
  type: keyof typeof PATCH_TYPES;
  verb?: string;
}

export interface PatchTarget {
  name: string;
  namespace?: string | undefined;
  subresource?: string | undefined;
}

const writeOptions = ({ fieldManager, force, dryRun, timeoutMs }: WriteOptions): { query: Query; timeoutMs?: number } => ({
  query: { fieldManager, force, dryRun: dryRun ? 'All' : undefined },
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});

/** How much of each object a list or watch returns: `metadataOnly` asks for metadata alone (PartialObjectMetadata). */
export interface View {
  metadataOnly?: boolean;
}
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA_OBJECT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

export class KubeClient {
  private readonly credentials: Credentials;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly observe: RequestObserver;
  private readonly server: { origin: string; pathPrefix: string };

  constructor(credentials: Credentials, options: ClientOptions = {}) {
    this.credentials = credentials;
    // HTTP/2, chosen here rather than left to undici's default: every request and watch on one
    // connection. HTTP/1.1 costs a request less CPU at 2 in flight (bench/runtime/http-version.ts),
    // but holds a connection per request in flight: 120 at 16 workers over 10,000 ringfences, 23
    // MiB more peak RSS (240 against 217 MiB, near the Deployment's 256 Mi) and a slower rollout
    // (bench/README.md, 2026-12-03).
    this.agent = new Agent({ connect: credentials.tls, allowH2: true });
    this.server = serverOf(credentials.server);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.observe = options.observe ?? (() => undefined);
  }

  /** The URL path of a collection, an object, or an object's subresource. */
  path(resource: Resource, namespace?: string, name?: string, subresource?: string): string {
    const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
    const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const object = name ? `/${encodeURIComponent(name)}` : '';
    return `${base}${scope}/${resource.resource}${object}${name && subresource ? `/${subresource}` : ''}`;
  }

  async list<T extends KubeObject>(resource: Resource, query: Query & { namespace?: string } = {}, view: View = {}): Promise<ObjectList<T>> {
    const { namespace, ...rest } = query;
    return this.request<ObjectList<T>>('list', resource, 'GET', this.path(resource, namespace), { query: rest, accept: view.metadataOnly ? METADATA_LIST : undefined });
  }

  get<T = KubeObject>(resource: Resource, name: string, namespace?: string, options: { timeoutMs?: number } = {}): Promise<T> {
    return this.request<T>('get', resource, 'GET', this.path(resource, namespace, name), options);
  }

  /** The object, or undefined when there is none (404). */
  async find<T = KubeObject>(resource: Resource, name: string, namespace?: string, options: { timeoutMs?: number } = {}): Promise<T | undefined> {
    return this.get<T>(resource, name, namespace, options).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
  }

  create<T = KubeObject>(resource: Resource, object: KubeObjectBody | KubeObject, options: WriteOptions = {}): Promise<T> {
    return this.request<T>('create', resource, 'POST', this.path(resource, object.metadata.namespace), { body: object, ...writeOptions(options) });
  }

  /** A PUT of the whole object, guarded by its resourceVersion when it carries one (409 if it moved on). */
  update<T = KubeObject>(resource: Resource, object: KubeObjectBody | KubeObject, options: WriteOptions = {}): Promise<T> {
    const { name, namespace } = object.metadata;
    return this.request<T>('update', resource, 'PUT', this.path(resource, namespace, name), { body: object, ...writeOptions(options) });
  }

  /** A patch of the given type (merge, JSON, or server-side apply: `verb` names it in metrics and audit checks). */
  patch<T = KubeObject>(resource: Resource, target: PatchTarget, patch: unknown, options: PatchOptions): Promise<T> {
    return this.exchangePatch<T>(resource, target, patch, options).then(({ body }) => body);
  }

  /** As patch, with the warnings the server sent along (admission plugins explain themselves there). */
  exchangePatch<T = KubeObject>(resource: Resource, { name, namespace, subresource }: PatchTarget, patch: unknown,
    options: PatchOptions): Promise<{ body: T; warnings: string[] }> {
    const { type, verb = 'patch', ...rest } = options;
    return this.exchange<T>(verb, resource, 'PATCH', this.path(resource, namespace, name, subresource), {
      body: patch, contentType: PATCH_TYPES[type], ...writeOptions(rest),
    });
  }

  /** Deletes an object; one already gone counts as deleted. With `uid`, only that object: not one made since under its name. */
  async delete(resource: Resource, name: string, namespace?: string, uid?: string): Promise<void> {
    const body = uid ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } : undefined;
    await this.request('delete', resource, 'DELETE', this.path(resource, namespace, name), { body }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /** A discovery document (`/apis/GROUP`): a path outside the resource model. */
  discover<T>(path: string): Promise<T> {
    return this.request<T>('discovery', { group: '', version: '', kind: '', resource: '', namespaced: false }, 'GET', path);
  }

  /** Sends a request and parses its JSON answer; a non-2xx answer throws ApiError. */
  private async request<T>(verb: string, resource: Resource, method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.exchange<T>(verb, resource, method, path, options)).body;
  }

  private async exchange<T>(verb: string, resource: Resource, method: string, path: string,
    options: RequestOptions = {}): Promise<{ body: T; warnings: string[] }> {
    // A deadline for the whole exchange only where a caller names one (a lease renewal must give
    // up before the lease runs out); else undici's limits on the wait for the answer and for each
    // part of it, with no timer and abort listener of ours per request.
    const limit = options.timeoutMs === undefined ? { timeoutMs: this.timeoutMs } : { signal: AbortSignal.timeout(options.timeoutMs) };
    const response = await this.send(verb, resource, method, path, options.query, options, limit);
    const text = await response.body.text();
    if (!succeeded(response)) throw apiError(response.statusCode, text);
    return { body: JSON.parse(text) as T, warnings: warningTexts(response.headers.warning) };
  }

  /**
   * Watches a collection, calling `onEvent` for each event, until the server ends the stream
   * (resolves), the stream fails (rejects), or `signal` aborts it (resolves). A line `skip` takes
   * (an event its caller holds already) is neither parsed nor told.
   */
  async watch<T extends KubeObject>(resource: Resource, query: Query & { namespace?: string }, signal: AbortSignal,
    onEvent: (event: WatchEvent<T>) => void, view: View = {}, skip: (line: string) => boolean = () => false): Promise<void> {
    const { namespace, ...rest } = query;
    let body: Dispatcher.ResponseData['body'] | undefined;
    try {
      const response = await this.send('watch', resource, 'GET', this.path(resource, namespace), { ...rest, watch: true },
        { accept: view.metadataOnly ? METADATA_OBJECT : undefined }, { signal, timeoutMs: this.timeoutMs, streaming: true });
      body = response.body;
      if (!succeeded(response)) throw apiError(response.statusCode, await body.text());
      // One JSON event per line; split here rather than by a line reader, which costs a promise per line.
      body.setEncoding('utf8');
      let partial = '';
      for await (const chunk of body as AsyncIterable<string>) {
        let from = 0;
        for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', from)) {
          const line = partial + chunk.slice(from, end);
          partial = '';
          from = end + 1;
          if (line && !skip(line)) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
        partial += chunk.slice(from);
      }
      if (partial && !skip(partial)) onEvent(JSON.parse(partial) as WatchEvent<T>);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      // However the watch ends (a handler's throw included), cancel the stream to free its
      // connection. undici reports the cancel as an error, which nobody needs to hear.
      body?.on('error', () => undefined).destroy();
    }
  }

  /** A GET on another apiserver of the same cluster (its /metrics, say), with the same credentials. */
  async getText(server: string, path: string): Promise<string> {
    const response = await this.send('get', { group: '', version: '', kind: '', resource: path, namespaced: false }, 'GET', path, undefined,
      { accept: 'text/plain', server }, { timeoutMs: this.timeoutMs });
    const text = await response.body.text();
    if (!succeeded(response)) throw apiError(response.statusCode, text);
    return text;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async send(verb: string, resource: Resource, method: string, path: string, query: Query | undefined,
    options: { body?: unknown; contentType?: string; accept?: string | undefined; server?: string }, limit: Limit): Promise<Dispatcher.ResponseData> {
    const server = options.server === undefined ? this.server : serverOf(options.server);
    // Named in audit logs and apiserver metrics. No accept-encoding: lists come in pages, and
    // compressing them would cost both sides CPU on the short path to the apiserver.
    const headers: Record<string, string> = { ...(await this.credentials.headers()), accept: options.accept ?? 'application/json', 'user-agent': 'palisade' };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    try {
      // undici's request, not fetch: no WHATWG streams or Headers objects (half the operator's CPU
      // in the ringfence benchmark).
      const response = await this.agent.request({
        origin: server.origin, path: server.pathPrefix + path + queryString(query), method, headers, signal: limit.signal,
        // A watch's body has no limit: it lasts until the server ends it, and the informer's watchdog restarts a silent one.
        headersTimeout: limit.timeoutMs, bodyTimeout: limit.streaming ? 0 : limit.timeoutMs,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      this.observe(verb, resource.resource, response.statusCode);
      return response;
    } catch (error) {
      this.observe(verb, resource.resource, 0);
      throw error;
    }
  }
}

/** How long a request may take: until a signal, and within `timeoutMs` for the answer to begin and each part of it to come (none for a stream's parts). */
type Limit = { signal?: AbortSignal; timeoutMs?: number; streaming?: boolean };

/** A server URL as requests need it: its origin, and the path a proxy in front of the apiserver may put before every API path. */
function serverOf(url: string): { origin: string; pathPrefix: string } {
  const { origin, pathname } = new URL(url);
  return { origin, pathPrefix: pathname.replace(/\/+$/, '') };
}

/** `?name=value&…` of the values set, percent-encoded: no URL object per request. */
function queryString(query: Query | undefined): string {
  let search = '';
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) search += `${search ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`;
  }
  return search;
}

function apiError(code: number, body: string): ApiError {
  try {
    const status = JSON.parse(body) as { reason?: string; message?: string; details?: { causes?: StatusCause[] } };
    return new ApiError(code, status.reason ?? '', status.message ?? body, status.details?.causes);
  } catch {
    return new ApiError(code, '', body || `HTTP ${code}`);
  }
}

const succeeded = (response: Dispatcher.ResponseData) => response.statusCode >= 200 && response.statusCode < 300;

/** The texts of `Warning: 299 - "text"` headers (RFC 7234), one header or several. */
export function warningTexts(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return [header].flat().flatMap((value) => [...value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(.)/g, '$1')));
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.code === 404;

/** 410 Gone: the resourceVersion or continue token is too old; the list must start over. */
export const isGone = (error: unknown): boolean => error instanceof ApiError && error.code === 410;
