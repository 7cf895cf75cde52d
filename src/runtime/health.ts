// The operator's HTTP endpoints: /healthz (the process answers), /readyz (caches synced and not
// silent, and the first pass done where this process is in charge) and /metrics (Prometheus text).
import { createServer, type Server } from 'node:http';
import type { Registry } from '@prometheus-io/client';

export interface Endpoints {
  ready: () => boolean;
  registry?: Registry;
}

/** Serves the endpoints on `address` (host:port; port 0 picks one) and resolves with the bound port. */
export async function serve(address: string, endpoints: Endpoints): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const answer = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(code, { 'content-type': type }).end(body);
    };
    if (request.method !== 'GET') return answer(405, 'method not allowed\n');
    if (path === '/healthz') return answer(200, 'ok\n');
    if (path === '/readyz') return endpoints.ready() ? answer(200, 'ok\n') : answer(503, 'caches not synced, a watch silent, or the first pass under way\n');
    if (path === '/metrics' && endpoints.registry) {
      const registry = endpoints.registry;
      registry.metrics().then((text) => answer(200, text, registry.contentType), () => answer(500, 'metrics failed\n'));
      return;
    }
    answer(404, 'not found\n');
  });
  const { host, port } = parseAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address();
  return { server, port: typeof bound === 'object' && bound ? bound.port : port };
}

function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a host:port address: ${address}`);
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}
