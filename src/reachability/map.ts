// The connectivity map: for every pair of workloads, and between workloads and the addresses
// outside them, the connections allowed. The addresses are cut where any ipBlock or
// ClusterNetworkPolicy network starts or ends, so that each piece is treated alike by every rule,
// and pieces that every workload treats alike are merged back into one group of CIDRs.
import { cidrsOf, everyAddress, type AddressRange, type Family } from './addresses.ts';
import { allowedPorts } from './evaluate.ts';
import { compareNames } from '../kubernetes/order.ts';
import { matchesSelector } from '../kubernetes/selectors.ts';
import type { CompiledPeer } from './policies.ts';
import { formatPorts, intersect, isEmpty, type PortSet } from './ports.ts';
import type { Endpoint, Workload } from './types.ts';
import type { CompiledWorld } from './world.ts';
import { workloadName } from './endpoints.ts';

/** A piece of the address space outside the pods, as CIDRs. */
export interface AddressGroup {
  ranges: AddressRange[];
  cidrs: string[];
}

export type MapEnd = { workload: Workload } | { addresses: AddressGroup };

export interface MapEdge {
  from: MapEnd;
  to: MapEnd;
  ports: PortSet;
}

/** Every CIDR a rule of `world` names: ipBlocks with their excepts, and ClusterNetworkPolicies' networks. */
function* namedRanges(world: CompiledWorld): Generator<AddressRange> {
  for (const policy of world.policies) {
    for (const peer of Object.values(policy.rules).flat().flatMap((rule) => rule.peers ?? [])) {
      if (peer.kind === 'addresses') yield* [peer.cidr, ...peer.except];
    }
  }
  for (const policy of world.clusterPolicies) {
    for (const peer of [...policy.rules.Ingress, ...policy.rules.Egress].flatMap((rule) => rule.peers)) {
      if (peer.kind === 'networks') yield* peer.networks;
    }
  }
}

/** The address space cut at every CIDR boundary of `worlds` (all of them: a diff needs one cut for both). */
export function addressPieces(worlds: readonly CompiledWorld[]): AddressRange[] {
  const cuts: Record<Family, Set<bigint>> = { 4: new Set([0n]), 6: new Set([0n]) };
  let v6 = false;
  for (const world of worlds) {
    for (const range of namedRanges(world)) {
      cuts[range.family].add(range.first).add(range.last + 1n);
      if (range.family === 6) v6 = true;
    }
  }
  return ([4, ...(v6 ? [6] : [])] as Family[]).flatMap((family) => {
    const end = everyAddress(family).last + 1n;
    const starts = [...cuts[family]].filter((cut) => cut < end).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return starts.map((first, index) => ({ family, first, last: (starts[index + 1] ?? end) - 1n }));
  });
}

/**
 * The pods a peer surely matches, by namespace and pod selector: none for an ipBlock, which can
 * match a pod's IP only as the network plugin decides, and the map shows what is surely allowed.
 */
function peerCandidates(world: CompiledWorld, peer: CompiledPeer, policyNamespace: string, byNamespace: Map<string, Workload[]>, cache: Map<string, Workload[]>): Workload[] {
  if (peer.kind === 'addresses') return [];
  const key = `${peer.namespaceSelector ? JSON.stringify(peer.namespaceSelector) : `=${policyNamespace}`}|${JSON.stringify(peer.podSelector ?? {})}`;
  let found = cache.get(key);
  if (!found) {
    const namespaces = peer.namespaceSelector
      ? [...byNamespace.keys()].filter((namespace) => matchesSelector(peer.namespaceSelector!, world.namespaceLabels(namespace)))
      : [policyNamespace];
    found = namespaces.flatMap((namespace) => (byNamespace.get(namespace) ?? []).filter((w) => matchesSelector(peer.podSelector ?? {}, w.labels)));
    cache.set(key, found);
  }
  return found;
}

/**
 * The workloads `source` may send to at all: those its egress rules' peers select, or all when it
 * is open, or when an Admin ClusterNetworkPolicy may accept what its NetworkPolicies would not.
 */
function destinationCandidates(world: CompiledWorld, source: Workload, byNamespace: Map<string, Workload[]>, cache: Map<string, Workload[]>): Iterable<Workload> {
  const isolating = world.isolating(source, 'Egress');
  if (isolating.length === 0 || world.clusterSelecting(source, 'Admin', 'Egress').length > 0) return world.world.workloads;
  const found = new Set<Workload>();
  for (const policy of isolating) {
    for (const rule of policy.rules.Egress ?? []) {
      if (!rule.peers) return world.world.workloads;
      for (const peer of rule.peers) for (const w of peerCandidates(world, peer, policy.ref.namespace, byNamespace, cache)) found.add(w);
    }
  }
  return found;
}

/** What `from` may open to `to`: its egress and `to`'s ingress, each where it is a workload. */
export function allowedBetween(world: CompiledWorld, from: Endpoint, to: Endpoint): PortSet {
  const egress = 'workload' in from ? allowedPorts(world, from.workload, 'Egress', to) : undefined;
  const ingress = 'workload' in to ? allowedPorts(world, to.workload, 'Ingress', from) : undefined;
  if (egress && ingress) return intersect(egress, ingress);
  return egress ?? ingress!;
}

const pieceAddress = (piece: AddressRange): Endpoint => ({ ip: cidrsOf({ ...piece, last: piece.first })[0]!.split('/')[0]! });

/** Every allowed connection of `world`, address pieces as given (see addressPieces). */
export function pieceEdges(world: CompiledWorld, pieces: readonly AddressRange[]): { from: Workload | AddressRange; to: Workload | AddressRange; ports: PortSet }[] {
  const byNamespace = new Map<string, Workload[]>();
  for (const w of world.world.workloads) {
    const list = byNamespace.get(w.namespace);
    if (list) list.push(w);
    else byNamespace.set(w.namespace, [w]);
  }
  const cache = new Map<string, Workload[]>();
  const edges: { from: Workload | AddressRange; to: Workload | AddressRange; ports: PortSet }[] = [];
  const add = (from: Workload | AddressRange, to: Workload | AddressRange, ports: PortSet) => {
    if (!isEmpty(ports)) edges.push({ from, to, ports });
  };
  for (const source of world.world.workloads) {
    for (const destination of destinationCandidates(world, source, byNamespace, cache)) {
      // A Pod to itself is never filtered; a workload's replicas are other pods, and are.
      if (destination !== source || source.kind !== 'Pod') add(source, destination, allowedBetween(world, { workload: source }, { workload: destination }));
    }
    for (const piece of pieces) {
      add(source, piece, allowedBetween(world, { workload: source }, pieceAddress(piece)));
      add(piece, source, allowedBetween(world, pieceAddress(piece), { workload: source }));
    }
  }
  return edges;
}

export const isPiece = (end: Workload | AddressRange): end is AddressRange => 'first' in end;

/** A group as people write it: its CIDRs, or a family's whole space "except" the few it leaves out. */
function groupCidrs(ranges: readonly AddressRange[]): string[] {
  return ([4, 6] as Family[]).flatMap((family) => {
    const mine = ranges.filter((range) => range.family === family).sort((a, b) => (a.first < b.first ? -1 : 1));
    if (mine.length === 0) return [];
    const cidrs = mine.flatMap((range) => cidrsOf(range));
    const holes: AddressRange[] = [];
    let next = 0n;
    for (const range of [...mine, { family, first: everyAddress(family).last + 1n, last: 0n }]) {
      if (range.first > next) holes.push({ family, first: next, last: range.first - 1n });
      next = range.last + 1n;
    }
    const holeCidrs = holes.flatMap((hole) => cidrsOf(hole));
    if (holeCidrs.length === 0 || holeCidrs.length >= cidrs.length) return cidrs;
    return [`${cidrsOf(everyAddress(family))[0]} except ${holeCidrs.join(',')}`];
  });
}

/**
 * The pieces that `signature` says are treated alike, as one address group each; the signature of
 * a piece is what every edge set says of it (one set for a map, two for a diff).
 */
export function groupPieces(pieces: readonly AddressRange[], signature: (piece: AddressRange) => string): Map<AddressRange, AddressGroup> {
  const bySignature = new Map<string, AddressGroup>();
  const groups = new Map<AddressRange, AddressGroup>();
  for (const piece of pieces) {
    const key = signature(piece);
    let group = bySignature.get(key);
    if (!group) bySignature.set(key, group = { ranges: [], cidrs: [] });
    const last = group.ranges.at(-1);
    // Pieces come in address order: a piece right after the last one extends it.
    if (last && last.family === piece.family && last.last + 1n === piece.first) group.ranges[group.ranges.length - 1] = { ...last, last: piece.last };
    else group.ranges.push(piece);
    groups.set(piece, group);
  }
  for (const group of bySignature.values()) group.cidrs = groupCidrs(group.ranges);
  return groups;
}

/** A workload's name, or an address group's CIDRs (families apart with "; " where one is written with "except"). */
export const endName = (end: MapEnd) => ('workload' in end
  ? workloadName(end.workload)
  : end.addresses.cidrs.join(end.addresses.cidrs.some((cidr) => cidr.includes(' except ')) ? '; ' : ','));

/** Edges by their ends' names. */
export const compareEdges = (a: MapEdge, b: MapEdge) => compareNames(endName(a.from), endName(b.from)) || compareNames(endName(a.to), endName(b.to));

/** Per address piece, a string of the edges that touch it in `edges`. */
function pieceSignatures(edges: ReturnType<typeof pieceEdges>): Map<AddressRange, string[]> {
  const signatures = new Map<AddressRange, string[]>();
  for (const { from, to, ports } of edges) {
    const piece = isPiece(from) ? from : isPiece(to) ? to : undefined;
    if (!piece) continue;
    const other = piece === from ? to : from;
    signatures.set(piece, [...(signatures.get(piece) ?? []), `${piece === from ? '<' : '>'}${workloadName(other as Workload)}:${formatPorts(ports)}`]);
  }
  return signatures;
}

/** The edges with each address piece replaced by its group, edges between the same ends merged. */
function groupedEdges(edges: ReturnType<typeof pieceEdges>, groups: Map<AddressRange, AddressGroup>): MapEdge[] {
  const byEnds = new Map<string, MapEdge>();
  for (const edge of edges) {
    const end = (e: Workload | AddressRange): MapEnd => (isPiece(e) ? { addresses: groups.get(e)! } : { workload: e });
    const from = end(edge.from);
    const to = end(edge.to);
    const key = `${endName(from)} ${endName(to)}`;
    if (!byEnds.has(key)) byEnds.set(key, { from, to, ports: edge.ports });
  }
  return [...byEnds.values()];
}

/** The connectivity map of `world`. */
/**
 * The connectivity map of `world`; with `shows`, of the workloads it keeps alone (the connections
 * that touch one of them), whose addresses are then grouped as those workloads see them.
 */
export function connectivityMap(world: CompiledWorld, shows?: (workload: Workload) => boolean): MapEdge[] {
  const pieces = addressPieces([world]);
  const all = pieceEdges(world, pieces);
  const edges = shows ? all.filter(({ from, to }) => [from, to].some((end) => !isPiece(end) && shows(end))) : all;
  const signatures = pieceSignatures(edges);
  const groups = groupPieces(pieces, (piece) => (signatures.get(piece) ?? []).sort().join(' '));
  return groupedEdges(edges, groups).sort(compareEdges);
}
