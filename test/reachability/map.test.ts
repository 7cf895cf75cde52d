// The connectivity map agrees with can-reach on every pair and port of generated worlds (the map
// only prunes which pairs it asks), and groups the addresses outside the pods as people write them.
import { expect } from 'chai';
import { canReach } from '../../src/reachability/evaluate.ts';
import { connectivityMap, endName } from '../../src/reachability/map.ts';
import { hasPort, PROTOCOLS } from '../../src/reachability/ports.ts';
import { workloadName } from '../../src/reachability/endpoints.ts';
import type { World } from '../../src/reachability/types.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import { generatedWorlds } from './worlds.ts';

const PORTS = [50, 53, 80, 443, 8080, 9090];

describe('reachability: the connectivity map', function () {
  it('holds exactly the pairs and ports can-reach allows, over 60 generated worlds', function () {
    let checked = 0;
    for (const { world } of generatedWorlds(77, 60, 0)) {
      const compiled = compileWorld(world);
      const edges = new Map(connectivityMap(compiled).filter((e) => 'workload' in e.from && 'workload' in e.to).map((e) => [`${endName(e.from)} ${endName(e.to)}`, e.ports]));
      for (const from of world.workloads) {
        for (const to of world.workloads) {
          if (from === to) continue;
          const ports = edges.get(`${workloadName(from)} ${workloadName(to)}`);
          for (const protocol of PROTOCOLS) {
            for (const port of PORTS) {
              const allowed = canReach(compiled, { workload: from }, { workload: to }, { protocol, port }).decision === 'allowed';
              expect(ports !== undefined && hasPort(ports, protocol, port), `${workloadName(from)} -> ${workloadName(to)} ${protocol} ${port}`).to.equal(allowed);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(20_000);
  });

  it('groups the addresses every rule treats alike: "0.0.0.0/0 except" the metadata address', function () {
    const world: World = {
      namespaces: new Map(),
      workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'web', labels: {}, ports: [] }],
      policies: [{
        metadata: { name: 'egress', namespace: 'shop' },
        spec: { podSelector: {}, policyTypes: ['Egress', 'Ingress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '10.0.0.0/8'] } }], ports: [{ port: 443 }] }] },
      }],
    };
    const lines = connectivityMap(compileWorld(world)).map((e) => `${endName(e.from)} => ${endName(e.to)}`);
    expect(lines).to.deep.equal(['shop/deployment/web => 0.0.0.0/0 except 10.0.0.0/8,169.254.169.254/32']);
  });

  it('keeps the families of a group apart when one is written with "except"', function () {
    const world: World = {
      namespaces: new Map(),
      workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'web', labels: {}, ports: [] }],
      policies: [{
        metadata: { name: 'egress', namespace: 'shop' },
        spec: {
          podSelector: {}, policyTypes: ['Egress', 'Ingress'],
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }, { ipBlock: { cidr: '::/0' } }], ports: [{ port: 443 }] }],
        },
      }],
    };
    const lines = connectivityMap(compileWorld(world)).map((e) => `${endName(e.from)} => ${endName(e.to)}`);
    expect(lines).to.deep.equal(['shop/deployment/web => 0.0.0.0/0 except 169.254.169.254/32; ::/0']);
  });
});
