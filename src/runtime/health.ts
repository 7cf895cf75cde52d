// The operator's HTTP endpoints: /healthz (the process answers), /readyz (caches synced and not
// silent, and the first pass done where this process is in charge) and /metrics (Prometheus text).
// The probes are plain HTTP; /metrics is served on its own over HTTPS, each request authenticated
// and authorized first (metrics-auth.ts), unless --metrics-secure=false.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Registry } from '@prometheus-io/client';
import type { KeyPair } from './certificate.ts';
import type { Decision } from './metrics-auth.ts';

export interface Endpoints {
  /** Serves /healthz and /readyz (answering with this) when given. */
  ready?: () => boolean;
  registry?: Registry;
  /** Serves HTTPS with this certificate; plain HTTP without. */
  tls?: KeyPair;
  /**
   * Asked, with the request's path, before a request for a served path is served: only a 200
   * decision goes on to the endpoint. Another method or path is answered 405 or 404 without asking.
   */
  authorize?: (request: IncomingMessage, path: string) => Promise<Decision>;
}

export interface Served {
  server: Server | HttpsServer;
  port: number;
  /** HTTPS only: serves `pair` from the next connection on. */
  setCertificate(pair: KeyPair): void;
}

/** Serves the endpoints on `address` (host:port; port 0 picks one) and resolves with the bound port. */
export async function serve(address: string, endpoints: Endpoints): Promise<Served> {
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const answer: Answer = (code, body, type = 'text/plain; charset=utf-8', headers = {}) => {
      response.writeHead(code, { 'content-type': type, ...headers }).end(body);
    };
    const path = (request.url ?? '').split('?')[0]!;
    // Method and path before any review: learning that a path is not served here, or that only GET
    // is, needs no credentials. A filter that reviews first (kube-rbac-proxy, controller-runtime's)
    // gives an authorized caller the same 404 or 405 after a review, so in effect only the review is
    // skipped, and an anonymous caller learns no more than the documentation says (GET /metrics).
    // Each request that costs a review is then a GET of a served path: the one question asked of a
    // token is the same whatever the request (metrics-auth.ts), and is cached by the token alone.
    if (request.method !== 'GET') return answer(405, 'method not allowed\n', undefined, { allow: 'GET' });
    const endpoint = endpointOf(path, endpoints);
    if (!endpoint) return answer(404, 'not found\n');
    if (!endpoints.authorize) return endpoint(answer);
    endpoints.authorize(request, path).then((decision) => {
      if (decision.code === 200) return endpoint(answer);
      const headers: Record<string, string> = decision.code === 401 ? { 'www-authenticate': 'Bearer' } : decision.code === 503 ? { 'retry-after': '1' } : {};
      answer(decision.code, `${decision.reason}\n`, undefined, headers);
    }, () => answer(500, 'Internal Server Error\n'));
  };
  const { tls } = endpoints;
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) : createServer(handler);
  const { host, port } = parseAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address();
  return {
    server,
    port: typeof bound === 'object' && bound ? bound.port : port,
    setCertificate: (pair) => {
      if ('setSecureContext' in server) server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' });
    },
  };
}

type Answer = (code: number, body: string, type?: string, headers?: Record<string, string>) => void;

/** What serves a GET of `path` with these endpoints; undefined when nothing does (404). */
function endpointOf(path: string, endpoints: Endpoints): ((answer: Answer) => void) | undefined {
  const { ready, registry } = endpoints;
  if (path === '/healthz' && ready) return (answer) => answer(200, 'ok\n');
  if (path === '/readyz' && ready) {
    return (answer) => (ready() ? answer(200, 'ok\n') : answer(503, 'caches not synced, a watch silent, or the first pass under way\n'));
  }
  if (path === '/metrics' && registry) {
    return (answer) => {
      registry.metrics().then((text) => answer(200, text, registry.contentType), () => answer(500, 'metrics failed\n'));
    };
  }
  return undefined;
}

/** The host (0.0.0.0 when empty, IPv6 without brackets) and port of a host:port address; throws unless it is one. */
export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a host:port address: ${address}`);
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}
