// `palisade map` against netpol-analyzer v1.4.4's `list` over generated worlds: for every pair of
// pods, and between each pod and every address outside them, the same connections. Named ports
// stay in ingress rules: list refuses a world whose egress names one (see netpol-analyzer.test.ts).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netpolAnalyzer, netpolList, type NetpolConnection } from '../../harness/netpol-oracle/oracle.ts';
import { parseAddress, type AddressRange } from '../../src/reachability/addresses.ts';
import { mapDiff } from '../../src/reachability/diff.ts';
import { connectivityMap, type MapEdge, type MapEnd } from '../../src/reachability/map.ts';
import { ALL_PORTS, formatPorts, NO_PORTS, portsOf, subtract, union, type PortSet, type Protocol } from '../../src/reachability/ports.ts';
import type { World } from '../../src/reachability/types.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import { worldManifests } from './manifests.ts';
import { generatedWorlds } from './worlds.ts';

/** "TCP 50-60,8080,UDP 1-65535" as a port set. */
function parseConn(conn: string): PortSet {
  if (conn === 'All Connections') return ALL_PORTS;
  if (conn === 'No Connections') return NO_PORTS;
  let protocol: Protocol = 'TCP';
  const sets = conn.split(',').map((token) => {
    const [first, rest] = token.split(' ');
    if (rest !== undefined) protocol = first as Protocol;
    const [low = '', high] = (rest ?? first!).split('-');
    return portsOf(protocol, Number(low), Number(high ?? low));
  });
  return union(NO_PORTS, ...sets);
}

/** An end as netpol-analyzer names it: "ns/name[Kind]", or an IPv4 range "a-b". */
type End = { pod: string } | { range: AddressRange };

function theirEnd(text: string): End {
  const range = /^([\d.]+)-([\d.]+)$/.exec(text);
  if (!range) return { pod: text };
  return { range: { family: 4, first: parseAddress(range[1]!)!.first, last: parseAddress(range[2]!)!.last } };
}

const ourEnds = (end: MapEnd): End[] => ('workload' in end
  ? [{ pod: `${end.workload.namespace}/${end.workload.name}[${end.workload.kind}]` }]
  : end.addresses.ranges.map((range) => ({ range })));

interface Connections {
  pods: Map<string, string>;
  /** Per pod and direction ("<" from it, ">" to it), address ranges with their ports. */
  addresses: Map<string, { range: AddressRange; ports: PortSet }[]>;
}

function collect(entries: { from: End[]; to: End[]; ports: PortSet }[]): Connections {
  const result: Connections = { pods: new Map(), addresses: new Map() };
  for (const { from, to, ports } of entries) {
    for (const f of from) {
      for (const t of to) {
        if ('pod' in f && 'pod' in t) result.pods.set(`${f.pod} ${t.pod}`, formatPorts(ports));
        const pod = 'pod' in f ? f : t;
        const range = 'range' in f ? f : 'range' in t ? t : undefined;
        if (!range || !('pod' in pod)) continue;
        const key = `${pod.pod}${pod === f ? '>' : '<'}`;
        result.addresses.set(key, [...(result.addresses.get(key) ?? []), { range: range.range, ports }]);
      }
    }
  }
  return result;
}

/** The ports at each address where either side's ranges start: equal everywhere means equal. */
function addressDisagreements(ours: Connections, theirs: Connections): string[] {
  const out: string[] = [];
  for (const key of new Set([...ours.addresses.keys(), ...theirs.addresses.keys()])) {
    const a = ours.addresses.get(key) ?? [];
    const b = theirs.addresses.get(key) ?? [];
    const at = (list: typeof a, address: bigint) => formatPorts(union(NO_PORTS, ...list.filter(({ range }) => range.first <= address && address <= range.last).map(({ ports }) => ports)));
    for (const address of new Set([...a, ...b].flatMap(({ range }) => [range.first, range.last]))) {
      if (at(a, address) !== at(b, address)) out.push(`${key} ${address}: ours ${at(a, address)}, netpol-analyzer ${at(b, address)}`);
    }
  }
  return out;
}

function podDisagreements(ours: Connections, theirs: Connections): string[] {
  return [...new Set([...ours.pods.keys(), ...theirs.pods.keys()])]
    .filter((key) => ours.pods.get(key) !== theirs.pods.get(key))
    .map((key) => `${key}: ours ${ours.pods.get(key) ?? 'none'}, netpol-analyzer ${theirs.pods.get(key) ?? 'none'}`);
}

const theirConnections = (list: NetpolConnection[]) => collect(list.map(({ src, dst, conn }) => ({ from: [theirEnd(src)], to: [theirEnd(dst)], ports: parseConn(conn) })));
const ourConnections = (edges: MapEdge[]) => collect(edges.map(({ from, to, ports }) => ({ from: ourEnds(from), to: ourEnds(to), ports })));

function listOf(world: World): NetpolConnection[] {
  const directory = mkdtempSync(join(tmpdir(), 'palisade-map-'));
  try {
    writeFileSync(join(directory, 'world.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: worldManifests(world) }));
    return netpolList(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('palisade map against netpol-analyzer v1.4.4\'s list, on generated worlds', function () {
  this.timeout(120_000);
  before(function () {
    this.timeout(900_000);
    netpolAnalyzer();
  });

  it('gives the same connections between pods and to and from every address, over 40 worlds', function () {
    const disagreements: string[] = [];
    let pairs = 0;
    for (const { world } of generatedWorlds(2026, 40, 0, { namedEgressPorts: false })) {
      const ours = ourConnections(connectivityMap(compileWorld(world)));
      const theirs = theirConnections(listOf(world));
      pairs += theirs.pods.size;
      disagreements.push(...podDisagreements(ours, theirs), ...addressDisagreements(ours, theirs));
    }
    expect(disagreements.slice(0, 5)).to.deep.equal([]);
    expect(pairs).to.be.greaterThan(300);
  });

  it('--diff opens and closes exactly what two list runs differ by, over 20 pairs of worlds', function () {
    const disagreements: string[] = [];
    const worlds = generatedWorlds(99, 40, 0, { namedEgressPorts: false }).map(({ world }) => world);
    let changes = 0;
    for (let i = 0; i < worlds.length; i += 2) {
      // The second world keeps the first's pods and takes the next world's policies, renamed into its namespaces.
      const before = worlds[i]!;
      const names = [...before.namespaces.keys()];
      const policies = worlds[i + 1]!.policies.map((p, index) => ({ ...p, metadata: { ...p.metadata, namespace: names[index % names.length]! } }));
      const after: World = { ...before, policies };
      const diff = mapDiff(compileWorld(before), compileWorld(after));
      const [was, is] = [theirConnections(listOf(before)), theirConnections(listOf(after))];
      const opened = ourConnections(diff.opened).pods;
      const closed = ourConnections(diff.closed).pods;
      for (const key of new Set([...was.pods.keys(), ...is.pods.keys()])) {
        const [old, now] = [parseConn(was.pods.get(key) ?? 'No Connections'), parseConn(is.pods.get(key) ?? 'No Connections')];
        const expected = { opened: formatPorts(subtract(now, old)), closed: formatPorts(subtract(old, now)) };
        const actual = { opened: opened.get(key) ?? 'No Connections', closed: closed.get(key) ?? 'No Connections' };
        if (expected.opened !== 'No Connections' || expected.closed !== 'No Connections') changes++;
        if (expected.opened !== actual.opened || expected.closed !== actual.closed) disagreements.push(`${key}: ours ${JSON.stringify(actual)}, list ${JSON.stringify(expected)}`);
      }
    }
    expect(disagreements.slice(0, 5)).to.deep.equal([]);
    expect(changes).to.be.greaterThan(50);
  });
});
