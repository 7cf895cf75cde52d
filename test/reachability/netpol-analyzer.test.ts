// src/reachability against np-guard's netpol-analyzer v1.4.4 (harness/netpol-oracle), an
// independent implementation, over generated worlds. Where the two differ by design, the case is
// a named test here, analysed against the API reference.
import { expect } from 'chai';
import { netpolAnalyzer, netpolVerdicts, type NetpolQuery } from '../../harness/netpol-oracle/oracle.ts';
import { canReach } from '../../src/reachability/evaluate.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import type { Endpoint, NetworkPolicySource, World, Workload } from '../../src/reachability/types.ts';
import { worldManifests } from './manifests.ts';
import { generatedWorlds } from './worlds.ts';

const name = (end: Endpoint) => ('ip' in end ? end.ip : `${end.workload.namespace}/${end.workload.name}`);

function verdicts(world: World, cases: { from: Endpoint; to: Endpoint; connection: { protocol: string; port: number } }[]) {
  const queries: NetpolQuery[] = cases.map(({ from, to, connection }) => ({ src: name(from), dst: name(to), ...connection }));
  return netpolVerdicts(worldManifests(world), queries);
}

const pod = (namespace: string, podName: string, labels: Record<string, string>, ip: string): Workload =>
  ({ namespace, kind: 'Pod', name: podName, labels, ip, ports: [] });

describe('reachability against netpol-analyzer v1.4.4, on generated worlds', function () {
  this.timeout(60_000);
  before(function () {
    // A first build compiles netpol-analyzer and k8s.io/client-go: a few minutes on 2 cores.
    this.timeout(900_000);
    netpolAnalyzer();
  });

  it('agrees on 2,400 connections over 80 worlds (port entries with a protocol alone, and its refusals, left to named tests)', function () {
    let compared = 0;
    let refused = 0;
    const disagreements: string[] = [];
    for (const { world, cases } of generatedWorlds(1804, 80, 30, { protocolOnlyPorts: false })) {
      const compiled = compileWorld(world);
      const theirs = verdicts(world, cases);
      cases.forEach(({ from, to, connection }, index) => {
        const ours = canReach(compiled, from, to, connection).decision;
        if (ours === 'undetermined') return;
        if (typeof theirs[index] !== 'boolean') {
          refused++;
          return;
        }
        compared++;
        if ((ours === 'allowed') !== theirs[index]) {
          disagreements.push(`${name(from)} -> ${name(to)} ${connection.protocol}/${connection.port}: ours ${ours}, netpol-analyzer ${theirs[index]}\n${JSON.stringify(world.policies)}`);
        }
      });
    }
    expect(disagreements.slice(0, 3)).to.deep.equal([]);
    expect(compared).to.be.greaterThan(2_000);
    expect(refused).to.be.lessThan(200);
  });

  it('a named port towards an address opens nothing (no pod to name the port): netpol-analyzer refuses to answer', function () {
    const world: World = {
      namespaces: new Map([['shop', { 'kubernetes.io/metadata.name': 'shop' }]]),
      workloads: [pod('shop', 'web', { app: 'web' }, '10.1.0.10')],
      policies: [{
        metadata: { name: 'named-egress', namespace: 'shop' },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }, { ports: [{ port: 443 }] }] },
      } satisfies NetworkPolicySource],
    };
    const asked = [80, 443].map((port) => ({ from: { workload: world.workloads[0]! }, to: { ip: '192.168.1.10' }, connection: { protocol: 'TCP' as const, port } }));
    expect(asked.map(({ from, to, connection }) => canReach(compileWorld(world), from, to, connection).decision)).to.deep.equal(['denied', 'allowed']);
    const theirs = verdicts(world, asked);
    expect(theirs.map((verdict) => (typeof verdict === 'boolean' ? verdict : verdict.refused))).to.deep.equal([
      "NetworkPolicy 'shop/named-egress' named port error: cannot convert named port for an IP destination",
      "NetworkPolicy 'shop/named-egress' named port error: cannot convert named port for an IP destination",
    ]);
  });

  it('a port entry with a protocol and no port opens every port of that protocol only: netpol-analyzer\'s eval opens every protocol', function () {
    const world: World = {
      namespaces: new Map([['shop', { 'kubernetes.io/metadata.name': 'shop' }]]),
      workloads: [pod('shop', 'web', { app: 'web' }, '10.1.0.10'), pod('shop', 'client', { app: 'client' }, '10.1.0.11')],
      policies: [{
        metadata: { name: 'udp-only', namespace: 'shop' },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'UDP' }] }] },
      } satisfies NetworkPolicySource],
    };
    const [web, client] = world.workloads as [Workload, Workload];
    const cases = [{ protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 80 }] as const;
    const asked = cases.map((connection) => ({ from: { workload: client }, to: { workload: web }, connection }));
    const ours = asked.map(({ from, to, connection }) => canReach(compileWorld(world), from, to, connection).decision);
    expect(ours).to.deep.equal(['allowed', 'denied']);
    expect(verdicts(world, asked)).to.deep.equal([true, true]);
  });
});
