// Sets of connections: per protocol, the ports as sorted, disjoint, inclusive ranges. What a rule
// allows, what a pair of workloads may use, and what a change opens are all such sets.

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export type PortRange = readonly [first: number, last: number];
export type PortSet = Readonly<Record<Protocol, readonly PortRange[]>>;

export const MAX_PORT = 65535;

export const NO_PORTS: PortSet = { TCP: [], UDP: [], SCTP: [] };
export const ALL_PORTS: PortSet = { TCP: [[1, MAX_PORT]], UDP: [[1, MAX_PORT]], SCTP: [[1, MAX_PORT]] };

function normalize(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [first, last] of sorted) {
    const previous = out.at(-1);
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else out.push([first, last]);
  }
  return out;
}

const eachProtocol = (make: (protocol: Protocol) => readonly PortRange[]): PortSet =>
  ({ TCP: make('TCP'), UDP: make('UDP'), SCTP: make('SCTP') });

export const portsOf = (protocol: Protocol, first: number, last = first): PortSet =>
  eachProtocol((p) => (p === protocol ? [[first, last]] : []));

export const union = (...sets: PortSet[]): PortSet => eachProtocol((p) => normalize(sets.flatMap((set) => set[p])));

export function intersect(a: PortSet, b: PortSet): PortSet {
  return eachProtocol((p) => a[p].flatMap(([first, last]) => b[p]
    .filter(([otherFirst, otherLast]) => otherFirst <= last && first <= otherLast)
    .map(([otherFirst, otherLast]): PortRange => [Math.max(first, otherFirst), Math.min(last, otherLast)])));
}

export function subtract(a: PortSet, b: PortSet): PortSet {
  return eachProtocol((p) => a[p].flatMap(([first, last]) => {
    let pieces: PortRange[] = [[first, last]];
    for (const [cutFirst, cutLast] of b[p]) {
      pieces = pieces.flatMap(([f, l]): PortRange[] => {
        if (cutLast < f || l < cutFirst) return [[f, l]];
        return [...(f < cutFirst ? [[f, cutFirst - 1] as const] : []), ...(cutLast < l ? [[cutLast + 1, l] as const] : [])];
      });
    }
    return pieces;
  }));
}

export const isEmpty = (set: PortSet) => PROTOCOLS.every((p) => set[p].length === 0);

export const hasPort = (set: PortSet, protocol: Protocol, port: number) => set[protocol].some(([first, last]) => first <= port && port <= last);

export const samePorts = (a: PortSet, b: PortSet) => isEmpty(subtract(a, b)) && isEmpty(subtract(b, a));

/** As netpol-analyzer writes connections: "All Connections", "No Connections", or "TCP 53,80-90,UDP 1-65535". */
export function formatPorts(set: PortSet): string {
  if (samePorts(set, ALL_PORTS)) return 'All Connections';
  if (isEmpty(set)) return 'No Connections';
  return PROTOCOLS.filter((p) => set[p].length > 0)
    .map((p) => `${p} ${set[p].map(([first, last]) => (first === last ? String(first) : `${first}-${last}`)).join(',')}`)
    .join(',');
}
