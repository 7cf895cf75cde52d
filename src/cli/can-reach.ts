// `palisade can-reach FROM TO`: may FROM open a connection to TO, by the files' (or the cluster's)
// NetworkPolicies and ringfences? Exit 0 allowed, 1 denied (or undetermined), 2 bad input.
import { parseArgs } from 'node:util';
import { endpointName, resolveEndpoint } from '../reachability/endpoints.ts';
import { canReach } from '../reachability/evaluate.ts';
import { allowedBetween } from '../reachability/map.ts';
import { connectionText, verdictText } from '../reachability/explain.ts';
import { formatPorts, intersect, isEmpty, MAX_PORT, portsOf, PROTOCOLS, type Protocol } from '../reachability/ports.ts';
import type { Connection, Endpoint } from '../reachability/types.ts';
import { compileWorld, type CompiledWorld } from '../reachability/world.ts';
import { errorMessage } from '../runtime/errors.ts';
import { networkWorld, readLive } from './network-world.ts';
import { oneOf, UsageError } from './usage.ts';

const FORMATS = ['text', 'json'] as const;

function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new UsageError(`--port ${text}: a port is a number from 1 to 65535`);
  return port;
}

function endpoint(world: CompiledWorld, text: string): Endpoint {
  try {
    return resolveEndpoint(world.world, text);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

export async function canReachCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true, options: {
      filename: { type: 'string', short: 'f', multiple: true }, kubeconfig: { type: 'string' }, namespace: { type: 'string', short: 'n' },
      port: { type: 'string', short: 'p' }, protocol: { type: 'string' }, explain: { type: 'boolean' }, output: { type: 'string', short: 'o' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('can-reach needs FROM and TO: namespace/pod, namespace/kind/name or an IP');
  if (!values.filename?.length && !values.kubeconfig) throw new UsageError('can-reach needs -f FILE|DIR|- or --kubeconfig PATH');
  const format = oneOf('-o', values.output, FORMATS, 'text');
  const protocol = oneOf<Protocol>('--protocol', values.protocol?.toUpperCase(), PROTOCOLS, 'TCP');
  const port = portOf(values.port);
  if (port === undefined && values.explain) throw new UsageError('--explain needs --port: it explains one connection');
  const live = values.kubeconfig === undefined ? undefined : await readLive(values.kubeconfig);
  const { world, notModelled } = await networkWorld({ files: values.filename ?? [], live, defaultNamespace: values.namespace ?? 'default' });
  const compiled = compileWorld(world);
  const [from, to] = positionals.map((text) => endpoint(compiled, text)) as [Endpoint, Endpoint];
  if ('ip' in from && 'ip' in to) throw new UsageError(`${from.ip} and ${to.ip} are both outside the cluster's pods: no NetworkPolicy has anything to say between them`);
  for (const line of notModelled) console.error(`palisade: not modelled: ${line}`);
  if (port === undefined) {
    // Every connection, or those of --protocol when it is given.
    const all = allowedBetween(compiled, from, to);
    const ports = values.protocol === undefined ? all : intersect(all, portsOf(protocol, 1, MAX_PORT));
    const names = { from: endpointName(from), to: endpointName(to) };
    process.stdout.write(format === 'json' ? `${JSON.stringify({ ...names, allowed: formatPorts(ports), ports }, null, 2)}\n` : `${names.from} -> ${names.to}: ${formatPorts(ports)}\n`);
    return isEmpty(ports) ? 1 : 0;
  }
  const connection: Connection = { protocol, port };
  const verdict = canReach(compiled, from, to, connection);
  process.stdout.write(format === 'json'
    ? `${JSON.stringify({ from: endpointName(from), to: endpointName(to), connection: connectionText(connection), ...verdict }, null, 2)}\n`
    : verdictText(from, to, connection, verdict, values.explain ?? false));
  return verdict.decision === 'allowed' ? 0 : 1;
}
