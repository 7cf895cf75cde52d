// `palisade map`: the connectivity map of the files (or the cluster): every pair of workloads,
// and the address groups outside them, with the connections allowed; --isolation folds it to
// namespaces; --diff says what a change opens and closes (exit 1 when it opens anything).
import { parseArgs } from 'node:util';
import { resolveEndpoint } from '../reachability/endpoints.ts';
import { mapDiff, type MapDiff } from '../reachability/diff.ts';
import { namespaceIsolation, type Isolation } from '../reachability/isolation.ts';
import { connectivityMap, endName, type MapEdge } from '../reachability/map.ts';
import { edgeJson, mapDot, mapJson, mapMermaid, mapText, type MapReport } from '../reachability/map-report.ts';
import { formatPorts } from '../reachability/ports.ts';
import type { Endpoint, Workload } from '../reachability/types.ts';
import { compileWorld, type CompiledWorld } from '../reachability/world.ts';
import { errorMessage } from '../runtime/errors.ts';
import { networkWorld, readLive, type WorldSource } from './network-world.ts';
import { oneOf, UsageError } from './usage.ts';

const FORMATS = ['text', 'json', 'mermaid', 'dot', 'svg'] as const;
type Format = (typeof FORMATS)[number];

async function svg(report: MapReport): Promise<string> {
  // Graphviz compiled to WebAssembly: no system Graphviz needed; loaded for SVG alone.
  const { instance } = await import('@viz-js/viz');
  return (await instance()).renderString(mapDot(report), { format: 'svg' });
}

const PRINTERS: Record<Format, (report: MapReport) => string | Promise<string>> = { text: mapText, json: mapJson, mermaid: mapMermaid, dot: mapDot, svg };

/** --focus: a namespace (no slash), or a workload as can-reach names one. */
/** --focus: the workloads of a namespace (no slash), or one workload as can-reach names it. */
function focusOf(world: CompiledWorld, focus: string | undefined): ((workload: Workload) => boolean) | undefined {
  if (focus === undefined) return undefined;
  if (!focus.includes('/')) {
    if (!world.world.workloads.some((w) => w.namespace === focus)) throw new UsageError(`--focus ${focus}: no workload in namespace ${focus}`);
    return (workload) => workload.namespace === focus;
  }
  let end: Endpoint;
  try {
    end = resolveEndpoint(world.world, focus);
  } catch (error) {
    throw new UsageError(`--focus ${errorMessage(error)}`);
  }
  if (!('workload' in end)) throw new UsageError(`--focus ${focus}: an address outside the pods is no workload to focus on`);
  return (workload) => workload === end.workload;
}

async function compiled(source: WorldSource) {
  const { world, notModelled } = await networkWorld(source);
  return { world: compileWorld(world), notModelled };
}

function isolationText({ edges, isolated }: Isolation): string {
  const lines = edges.map(({ from, to, ports }) => `${from} => ${to} : ${formatPorts(ports)}`);
  if (isolated.length > 0) lines.push(`isolated (reach no other namespace, reached by none): ${isolated.join(', ')}`);
  return lines.map((line) => `${line}\n`).join('');
}

function diffText({ opened, closed }: MapDiff): string {
  const line = (sign: string) => (edge: MapEdge) => `${sign} ${endName(edge.from)} => ${endName(edge.to)} : ${formatPorts(edge.ports)}\n`;
  if (opened.length === 0 && closed.length === 0) return 'no connection opened or closed\n';
  return [...opened.map(line('+')), ...closed.map(line('-'))].join('');
}

const diffJson = ({ opened, closed }: MapDiff) => `${JSON.stringify({ opened: opened.map(edgeJson), closed: closed.map(edgeJson) }, null, 2)}\n`;

/** --diff BEFORE AFTER (paths), or --diff --kubeconfig K -f AFTER (the cluster, then the files applied over it). */
async function diffCommand(positionals: string[], files: string[], kubeconfig: string | undefined, defaultNamespace: string, format: Format): Promise<number> {
  if (format !== 'text' && format !== 'json') throw new UsageError(`--diff prints text or json, not ${format}`);
  let sources: [WorldSource, WorldSource];
  if (positionals.length === 2 && files.length === 0 && kubeconfig === undefined) {
    sources = [{ files: [positionals[0]!], defaultNamespace }, { files: [positionals[1]!], defaultNamespace }];
  } else if (positionals.length === 0 && kubeconfig !== undefined && files.length > 0) {
    // One read of the cluster for both sides, so that they differ by the files alone.
    const live = await readLive(kubeconfig);
    sources = [{ files: [], live, defaultNamespace }, { files, live, defaultNamespace }];
  } else {
    throw new UsageError('--diff needs BEFORE AFTER (two files or directories), or --kubeconfig PATH -f AFTER (the cluster against the files applied to it)');
  }
  const [before, after] = await Promise.all(sources.map(compiled));
  for (const line of new Set([...before!.notModelled, ...after!.notModelled])) console.error(`palisade: not modelled: ${line}`);
  const diff = mapDiff(before!.world, after!.world);
  process.stdout.write(format === 'json' ? diffJson(diff) : diffText(diff));
  return diff.opened.length > 0 ? 1 : 0;
}

export async function mapCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true, options: {
      filename: { type: 'string', short: 'f', multiple: true }, kubeconfig: { type: 'string' }, namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' }, focus: { type: 'string' }, isolation: { type: 'boolean' }, diff: { type: 'boolean' },
    },
  });
  const format = oneOf('-o', values.output, FORMATS, 'text');
  const defaultNamespace = values.namespace ?? 'default';
  const files = values.filename ?? [];
  if (values.diff) {
    if (values.focus !== undefined || values.isolation) throw new UsageError('--diff takes neither --focus nor --isolation: it prints every connection a change opens or closes');
    return diffCommand(positionals, files, values.kubeconfig, defaultNamespace, format);
  }
  if (positionals.length > 0) throw new UsageError(`map takes no arguments but --diff's (got ${positionals.join(' ')})`);
  if (files.length === 0 && !values.kubeconfig) throw new UsageError('map needs -f FILE|DIR|- or --kubeconfig PATH');
  const live = values.kubeconfig === undefined ? undefined : await readLive(values.kubeconfig);
  const { world, notModelled } = await compiled({ files, live, defaultNamespace });
  const edges = connectivityMap(world, focusOf(world, values.focus));
  if (values.isolation) {
    if (format !== 'text' && format !== 'json') throw new UsageError(`--isolation prints text or json, not ${format}`);
    const isolation = namespaceIsolation(edges, values.focus ? [] : world.world.workloads.map((w) => w.namespace));
    for (const line of notModelled) console.error(`palisade: not modelled: ${line}`);
    process.stdout.write(format === 'json' ? `${JSON.stringify(isolation, null, 2)}\n` : isolationText(isolation));
    return 0;
  }
  // Text and JSON carry the lines themselves; a drawing only gets them on stderr.
  if (format !== 'text' && format !== 'json') for (const line of notModelled) console.error(`palisade: not modelled: ${line}`);
  process.stdout.write(await PRINTERS[format]({ edges, notModelled }));
  return 0;
}
