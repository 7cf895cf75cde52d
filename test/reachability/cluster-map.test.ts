// The connectivity map with ClusterNetworkPolicies agrees with can-reach: the map works on sets of
// ports through the tiers, can-reach on one connection at a time, so generated worlds (random
// tiers, priorities that tie, actions, peers of every kind, protocols) check one against the
// other, between workloads and towards and from the addresses outside them.
import { expect } from 'chai';
import { integer, pick, random, type Random } from '../../harness/random.ts';
import { contains, parseAddress } from '../../src/reachability/addresses.ts';
import { canReach } from '../../src/reachability/evaluate.ts';
import { connectivityMap, endName, type MapEdge, type MapEnd } from '../../src/reachability/map.ts';
import { hasPort, PROTOCOLS, type Protocol } from '../../src/reachability/ports.ts';
import type { ClusterNetworkPolicySource, ClusterPolicyPeerSource, ClusterPolicyProtocolSource, Endpoint, World } from '../../src/reachability/types.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import { generatedWorlds } from './worlds.ts';

const PORTS = [50, 53, 80, 443, 8080];
const OUTSIDE = ['192.168.1.10', '172.16.5.5', '8.8.8.8'];
const NETWORKS = ['0.0.0.0/0', '192.168.0.0/16', '192.168.1.0/24', '10.1.0.0/16', '8.8.8.8/32'];

function selector(next: Random, namespaces: readonly string[]) {
  return next() < 0.4 ? {} : { matchLabels: { 'kubernetes.io/metadata.name': pick(next, namespaces) } };
}

function peer(next: Random, namespaces: readonly string[], egress: boolean): ClusterPolicyPeerSource {
  const roll = next();
  if (egress && roll < 0.35) return { networks: [pick(next, NETWORKS)] };
  if (roll < 0.7) return { namespaces: selector(next, namespaces) };
  return { pods: { namespaceSelector: selector(next, namespaces), podSelector: next() < 0.5 ? {} : { matchLabels: { [pick(next, ['app', 'tier', 'team'])]: pick(next, ['a', 'b', 'c']) } } } };
}

function protocols(next: Random): ClusterPolicyProtocolSource[] | undefined {
  if (next() < 0.4) return undefined;
  return Array.from({ length: 1 + integer(next, 2) }, () => {
    const destinationPort = next() < 0.6 ? { number: pick(next, PORTS) } : { range: { start: 50, end: pick(next, [53, 80, 443]) } };
    return { [pick(next, ['tcp', 'udp', 'sctp'] as const)]: { destinationPort } };
  });
}

function clusterPolicy(next: Random, index: number, namespaces: readonly string[]): ClusterNetworkPolicySource {
  const rule = (egress: boolean) => {
    const action = pick(next, ['Accept', 'Deny', 'Pass']);
    const peers = Array.from({ length: 1 + integer(next, 2) }, () => peer(next, namespaces, egress));
    const written = protocols(next);
    return { action, ...(egress ? { to: peers } : { from: peers }), ...(written ? { protocols: written } : {}) };
  };
  const rules = (egress: boolean) => Array.from({ length: integer(next, 3) }, () => rule(egress));
  return {
    metadata: { name: `cnp-${index}` },
    spec: { tier: pick(next, ['Admin', 'Baseline']), priority: pick(next, [1, 2, 2, 3]), subject: { namespaces: selector(next, namespaces) }, ingress: rules(false), egress: rules(true) },
  };
}

function withClusterPolicies(seed: number, worlds: number): World[] {
  const next = random(seed);
  return generatedWorlds(seed, worlds, 0).map(({ world }) => {
    const names = [...world.namespaces.keys()];
    return { ...world, clusterPolicies: Array.from({ length: 1 + integer(next, 4) }, (_, i) => clusterPolicy(next, i, names)) };
  });
}

/** The map's ports between two ends, where `matches` finds each end. */
function mapPorts(edges: readonly MapEdge[], from: (end: MapEnd) => boolean, to: (end: MapEnd) => boolean) {
  return edges.find((edge) => from(edge.from) && to(edge.to))?.ports;
}

const isWorkload = (name: string) => (end: MapEnd) => 'workload' in end && endName(end) === name;
const holds = (ip: string) => (end: MapEnd) => 'addresses' in end && end.addresses.ranges.some((range) => contains(range, parseAddress(ip)!));

describe('reachability: the connectivity map through ClusterNetworkPolicy tiers', function () {
  it('holds exactly the connections can-reach allows, over 60 generated worlds with ClusterNetworkPolicies', function () {
    let checked = 0;
    let allowed = 0;
    for (const world of withClusterPolicies(91, 60)) {
      const compiled = compileWorld(world);
      const edges = connectivityMap(compiled);
      const ask = (from: Endpoint, to: Endpoint, ports: ReturnType<typeof mapPorts>, protocol: Protocol, port: number) => {
        const verdict = canReach(compiled, from, to, { protocol, port }).decision === 'allowed';
        const what = `${JSON.stringify(from)} -> ${JSON.stringify(to)} ${protocol} ${port} in ${JSON.stringify(world.clusterPolicies)}`;
        expect(ports !== undefined && hasPort(ports, protocol, port), what).to.equal(verdict);
        checked++;
        if (verdict) allowed++;
      };
      for (const from of world.workloads) {
        const fromName = endName({ workload: from });
        for (const protocol of PROTOCOLS) {
          for (const port of PORTS) {
            for (const to of world.workloads) {
              if (from !== to) ask({ workload: from }, { workload: to }, mapPorts(edges, isWorkload(fromName), isWorkload(endName({ workload: to }))), protocol, port);
            }
            for (const ip of OUTSIDE) {
              ask({ workload: from }, { ip }, mapPorts(edges, isWorkload(fromName), holds(ip)), protocol, port);
              ask({ ip }, { workload: from }, mapPorts(edges, holds(ip), isWorkload(fromName)), protocol, port);
            }
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(20_000);
    // Neither everything nor nothing: the tiers did decide.
    expect(allowed / checked).to.be.within(0.2, 0.9);
  });

  it('cuts the addresses at a network\'s boundaries: "0.0.0.0/0 except" what a Baseline Deny names, which no ingress peer matches', function () {
    const world: World = {
      namespaces: new Map(),
      workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'web', labels: {}, ports: [] }],
      policies: [],
      clusterPolicies: [{
        metadata: { name: 'no-metadata' },
        spec: { tier: 'Baseline', priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['169.254.169.254/32'] }] }], ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] },
      }],
    };
    const lines = connectivityMap(compileWorld(world)).map((e) => `${endName(e.from)} => ${endName(e.to)}`);
    expect(lines).to.deep.equal([
      '0.0.0.0/0 except 169.254.169.254/32 => shop/deployment/web',
      '169.254.169.254/32 => shop/deployment/web',
      'shop/deployment/web => 0.0.0.0/0 except 169.254.169.254/32',
    ]);
  });
});
