// src/reachability against the test's own evaluator (test/support/network-policy.ts, written from
// the API reference, not from this code) over generated worlds: the two must agree on every
// connection, except where the product says "undetermined" (a pod's IP inside an ipBlock), which
// the test evaluator decides one way.
import { expect } from 'chai';
import { canReach } from '../../src/reachability/evaluate.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import type { Workload } from '../../src/reachability/types.ts';
import { allowed, type Endpoint, type Policy } from '../support/network-policy.ts';
import { generatedWorlds } from './worlds.ts';

const asTestEndpoint = (end: { workload: Workload } | { ip: string }): Endpoint => ('ip' in end
  ? { ip: end.ip }
  : { pod: { namespace: end.workload.namespace, labels: { ...end.workload.labels }, ip: end.workload.ip ?? '', ports: [...end.workload.ports] } });

describe('reachability against the test evaluator, on generated worlds', function () {
  it('agrees on 3,000 connections over 100 worlds', function () {
    let compared = 0;
    let undetermined = 0;
    const disagreements: string[] = [];
    for (const { world, cases } of generatedWorlds(18, 100, 30)) {
      const compiled = compileWorld(world);
      const cluster = { namespaces: Object.fromEntries(world.namespaces), policies: world.policies as unknown as Policy[] };
      for (const { from, to, connection } of cases) {
        const verdict = canReach(compiled, from, to, connection);
        if (verdict.decision === 'undetermined') {
          undetermined++;
          continue;
        }
        compared++;
        const expected = allowed(cluster, asTestEndpoint(from), asTestEndpoint(to), connection.port, connection.protocol);
        if ((verdict.decision === 'allowed') !== expected) {
          disagreements.push(`${JSON.stringify({ from, to, connection })}: ours ${verdict.decision}, the test evaluator ${expected}\n${JSON.stringify(world.policies)}`);
        }
      }
    }
    expect(disagreements.slice(0, 3)).to.deep.equal([]);
    expect(compared).to.be.greaterThan(2_500);
    expect(undetermined).to.be.lessThan(500);
  });
});
