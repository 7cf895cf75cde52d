// The Kubernetes documentation's NetworkPolicy examples: src/reachability, the test evaluator and
// netpol-analyzer v1.4.4 each give every documented verdict.
import { expect } from 'chai';
import { netpolAnalyzer, netpolVerdicts } from '../../harness/netpol-oracle/oracle.ts';
import { canReach } from '../../src/reachability/evaluate.ts';
import { compileWorld } from '../../src/reachability/world.ts';
import type { Endpoint, World } from '../../src/reachability/types.ts';
import { allowed, type Endpoint as TestEndpoint, type Policy } from '../support/network-policy.ts';
import { EXAMPLES, namespaces, workloads } from './documentation-examples.ts';
import { worldManifests } from './manifests.ts';

function endpoint(name: string): Endpoint {
  if (!name.includes('/')) return { ip: name };
  const workload = workloads.find((w) => `${w.namespace}/${w.name}` === name);
  if (!workload) throw new Error(`no pod ${name} in the examples`);
  return { workload };
}

const asTestEndpoint = (end: Endpoint): TestEndpoint => ('ip' in end ? end : { pod: { namespace: end.workload.namespace, labels: { ...end.workload.labels }, ip: end.workload.ip ?? '' } });

describe('the Kubernetes documentation\'s NetworkPolicy examples', function () {
  this.timeout(60_000);
  before(function () {
    // A first build compiles netpol-analyzer and k8s.io/client-go: a few minutes on 2 cores.
    this.timeout(900_000);
    netpolAnalyzer();
  });
  for (const example of EXAMPLES) {
    describe(example.name, function () {
      const world: World = { namespaces, workloads, policies: example.policies };
      const expected = example.cases.map((c) => c.allowed);

      it('src/reachability gives the documented verdicts', function () {
        const compiled = compileWorld(world);
        const ours = example.cases.map((c) => canReach(compiled, endpoint(c.from), endpoint(c.to), c.connection).decision === 'allowed');
        expect(ours).to.deep.equal(expected, example.cases.map((c) => c.what).join('; '));
      });

      it('so does the test evaluator', function () {
        const cluster = { namespaces: Object.fromEntries(namespaces), policies: example.policies as unknown as Policy[] };
        const theirs = example.cases.map((c) => allowed(cluster, asTestEndpoint(endpoint(c.from)), asTestEndpoint(endpoint(c.to)), c.connection.port, c.connection.protocol));
        expect(theirs).to.deep.equal(expected);
      });

      it('so does netpol-analyzer', function () {
        const theirs = netpolVerdicts(worldManifests(world), example.cases.map((c) => ({ src: c.from, dst: c.to, ...c.connection })));
        expect(theirs).to.deep.equal(expected);
      });
    });
  }
});
