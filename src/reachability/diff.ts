// What a change opens and closes: two worlds' connectivity, with the address space cut the same
// way for both, compared edge by edge.
import { addressPieces, compareEdges, endName, groupPieces, isPiece, pieceEdges, type MapEdge } from './map.ts';
import type { AddressRange } from './addresses.ts';
import { formatPorts, isEmpty, NO_PORTS, subtract, type PortSet } from './ports.ts';
import type { Workload } from './types.ts';
import type { CompiledWorld } from './world.ts';
import { workloadName } from './endpoints.ts';

export interface MapDiff {
  opened: MapEdge[];
  closed: MapEdge[];
}

type End = Workload | AddressRange;

export function mapDiff(before: CompiledWorld, after: CompiledWorld): MapDiff {
  const pieces = addressPieces([before, after]);
  const pieceIndex = new Map(pieces.map((piece, index) => [piece, index]));
  // A workload is the same on both sides when its namespace, kind and name are.
  const keyOf = (end: End) => (isPiece(end) ? `#${pieceIndex.get(end)}` : workloadName(end));
  const edgesOf = (world: CompiledWorld) => new Map(pieceEdges(world, pieces).map((edge) => [`${keyOf(edge.from)} ${keyOf(edge.to)}`, edge]));
  const was = edgesOf(before);
  const is = edgesOf(after);
  const changes: { kind: 'opened' | 'closed'; from: End; to: End; ports: PortSet }[] = [];
  for (const key of new Set([...was.keys(), ...is.keys()])) {
    const old = was.get(key);
    const now = is.get(key);
    const { from, to } = (now ?? old)!;
    const opened = subtract(now?.ports ?? NO_PORTS, old?.ports ?? NO_PORTS);
    const closed = subtract(old?.ports ?? NO_PORTS, now?.ports ?? NO_PORTS);
    if (!isEmpty(opened)) changes.push({ kind: 'opened', from, to, ports: opened });
    if (!isEmpty(closed)) changes.push({ kind: 'closed', from, to, ports: closed });
  }
  // Pieces that the change treats alike are shown as one group.
  const signatures = new Map<AddressRange, string[]>();
  for (const change of changes) {
    for (const [piece, other, arrow] of [[change.from, change.to, '<'], [change.to, change.from, '>']] as const) {
      if (isPiece(piece)) signatures.set(piece, [...(signatures.get(piece) ?? []), `${change.kind}${arrow}${keyOf(other)}:${formatPorts(change.ports)}`]);
    }
  }
  const groups = groupPieces(pieces, (piece) => (signatures.get(piece) ?? []).sort().join(' '));
  const asEdges = (kind: 'opened' | 'closed') => {
    const byEnds = new Map<string, MapEdge>();
    for (const change of changes.filter((c) => c.kind === kind)) {
      const end = (e: End) => (isPiece(e) ? { addresses: groups.get(e)! } : { workload: e });
      const edge = { from: end(change.from), to: end(change.to), ports: change.ports };
      byEnds.set(`${endName(edge.from)} ${endName(edge.to)}`, edge);
    }
    return [...byEnds.values()].sort(compareEdges);
  };
  return { opened: asEdges('opened'), closed: asEdges('closed') };
}
