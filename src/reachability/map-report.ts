// The connectivity map printed: text (as netpol-analyzer's list prints it), JSON, Mermaid and
// Graphviz dot (which the CLI renders to SVG in-process).
import { endName, type MapEdge, type MapEnd } from './map.ts';
import { formatPorts } from './ports.ts';

export interface MapReport {
  edges: MapEdge[];
  /** What the input holds that the map leaves out. */
  notModelled: string[];
}

export function mapText({ edges, notModelled }: MapReport): string {
  const lines = edges.map((edge) => `${endName(edge.from)} => ${endName(edge.to)} : ${formatPorts(edge.ports)}`);
  return [...lines, ...notModelled.map((line) => `# not modelled: ${line}`)].map((line) => `${line}\n`).join('');
}

/** An edge as JSON: netpol-analyzer's src, dst and conn, and the ports as ranges per protocol. */
export const edgeJson = (edge: MapEdge) => ({ src: endName(edge.from), dst: endName(edge.to), conn: formatPorts(edge.ports), ports: edge.ports });

export function mapJson({ edges, notModelled }: MapReport): string {
  const connections = edges.map(edgeJson);
  return `${JSON.stringify({ connections, notModelled }, null, 2)}\n`;
}

interface Node {
  id: string;
  label: string;
  /** The namespace it is drawn in; none for addresses. */
  namespace?: string;
}

function nodesOf(edges: readonly MapEdge[]): { nodes: Node[]; idOf: (end: MapEnd) => string } {
  const ids = new Map<string, Node>();
  const idOf = (end: MapEnd) => {
    const name = endName(end);
    let node = ids.get(name);
    if (!node) {
      node = 'workload' in end
        ? { id: `n${ids.size}`, label: `${end.workload.kind.toLowerCase()}/${end.workload.name}`, namespace: end.workload.namespace }
        : { id: `n${ids.size}`, label: end.addresses.cidrs.join('\n') };
      ids.set(name, node);
    }
    return node.id;
  };
  for (const edge of edges) {
    idOf(edge.from);
    idOf(edge.to);
  }
  return { nodes: [...ids.values()], idOf };
}

const byNamespace = (nodes: readonly Node[]) => Map.groupBy(nodes, (node) => node.namespace ?? '');

const mermaidText = (text: string) => `"${text.replaceAll('"', '#quot;').replaceAll('\n', '<br>')}"`;

export function mapMermaid({ edges }: MapReport): string {
  const { nodes, idOf } = nodesOf(edges);
  const lines = ['flowchart LR'];
  for (const [namespace, members] of byNamespace(nodes)) {
    if (namespace) lines.push(`  subgraph ${mermaidText(namespace)}`);
    for (const node of members) lines.push(`${namespace ? '    ' : '  '}${node.id}[${mermaidText(node.label)}]`);
    if (namespace) lines.push('  end');
  }
  for (const edge of edges) lines.push(`  ${idOf(edge.from)} -->|${mermaidText(formatPorts(edge.ports))}| ${idOf(edge.to)}`);
  return `${lines.join('\n')}\n`;
}

const dotText = (text: string) => JSON.stringify(text);

export function mapDot({ edges }: MapReport): string {
  const { nodes, idOf } = nodesOf(edges);
  const lines = ['digraph connectivity {', '  rankdir=LR;', '  fontname="Helvetica";', '  node [shape=box, style=rounded, fontname="Helvetica", margin="0.3,0.1"];', '  edge [fontname="Helvetica", fontsize=10];'];
  let cluster = 0;
  for (const [namespace, members] of byNamespace(nodes)) {
    if (namespace) lines.push(`  subgraph cluster_${cluster++} {`, `    label=${dotText(namespace)};`, '    style=dashed;');
    for (const node of members) lines.push(`${namespace ? '    ' : '  '}${node.id} [label=${dotText(node.label)}${namespace ? '' : ', shape=ellipse'}];`);
    if (namespace) lines.push('  }');
  }
  for (const edge of edges) lines.push(`  ${idOf(edge.from)} -> ${idOf(edge.to)} [label=${dotText(formatPorts(edge.ports))}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
