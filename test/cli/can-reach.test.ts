// `palisade can-reach`, run as users run it, on the ringfence example and the workloads around it
// (examples/reachability): exit codes, --explain naming the ringfence's spec field of every rule
// it generated, and bad input named by file, document and field.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { palisade, palisadeWith } from '../support/cli.ts';

const EXAMPLE = ['-f', 'examples/namespaceringfence.yaml', '-f', 'examples/reachability/'];
const RINGFENCE = 'NamespaceRingfence payments/ringfence';

const canReach = (...args: string[]) => palisade('can-reach', ...args, ...EXAMPLE);

describe('palisade can-reach', function () {
  this.timeout(60_000);

  // Each rule the example ringfence generates, and the spec field --explain must name for it.
  const fields: [string, string[], string][] = [
    ['ingress from the ingress controller', ['ingress-nginx/deployment/ingress-nginx-controller', 'payments/deployment/api', '--port', '8443'], 'spec.ingress.from[0]'],
    ['ingress from Prometheus', ['monitoring/statefulset/prometheus', 'payments/deployment/api', '--port', '9090'], 'spec.ingress.from[1]'],
    ['egress to the database namespace', ['payments/deployment/api', 'payments-db/statefulset/postgres', '--port', '5432'], 'spec.egress.to[0]'],
    ['egress to HTTPS anywhere', ['payments/cronjob/settle', '203.0.113.7', '--port', '443'], 'spec.egress.to[1]'],
    ['DNS to kube-dns', ['payments/cronjob/settle', 'kube-system/deployment/coredns', '--port', '53', '--protocol', 'UDP'], 'spec.egress.dns'],
    ['egress inside the namespace', ['payments/cronjob/settle', 'payments/deployment/api', '--port', '8443'], 'spec.egress.allowSameNamespace'],
    ['ingress inside the namespace', ['payments/cronjob/settle', 'payments/deployment/api', '--port', '8443'], 'spec.ingress.allowSameNamespace'],
  ];
  for (const [what, args, field] of fields) {
    it(`--explain names ${field} for ${what}`, async function () {
      const run = await canReach(...args, '--explain');
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.contain(`(${RINGFENCE} ${field})`);
    });
  }

  it('exits 1 on a denied connection and names the isolating ringfence, and the except that cuts out the metadata API', async function () {
    const run = await canReach('payments/deployment/api', '169.254.169.254', '--port', '443', '--explain');
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^payments\/deployment\/api -> 169\.254\.169\.254 TCP 443: denied\n/);
    expect(run.stdout).to.contain(`isolated by ${RINGFENCE} (its NetworkPolicies palisade-default-deny,`);
    expect(run.stdout).to.contain(`(${RINGFENCE} spec.egress.to[1]) would, but its ipBlock excepts the address`);
  });

  it('says which side denies: an unfenced pod may send, the ringfence refuses it', async function () {
    const run = await canReach('sandbox/shell', 'payments/deployment/api', '--port', '8443', '--explain');
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('egress of sandbox/pod/shell: allowed: no NetworkPolicy selects it for Egress');
    expect(run.stdout).to.contain('ingress of payments/deployment/api: denied: isolated by');
  });

  it('without --port prints every connection allowed, and exits 1 when there is none', async function () {
    const some = await canReach('monitoring/sts/prometheus', 'payments/deploy/api');
    expect(some.code).to.equal(0);
    expect(some.stdout).to.equal('monitoring/statefulset/prometheus -> payments/deployment/api: TCP 9090\n');
    const none = await canReach('sandbox/shell', 'payments/deployment/api');
    expect(none.code).to.equal(1);
    expect(none.stdout).to.equal('sandbox/pod/shell -> payments/deployment/api: No Connections\n');
    const udp = await canReach('payments/deployment/api', 'kube-system/deployment/coredns', '--protocol', 'UDP');
    expect(udp.stdout).to.equal('payments/deployment/api -> kube-system/deployment/coredns: UDP 53\n');
  });

  it('prints JSON with each direction\'s verdict and the rule that allowed it', async function () {
    const run = await canReach('payments/deployment/api', 'payments-db/statefulset/postgres', '--port', '5432', '-o', 'json');
    expect(run.code).to.equal(0);
    const verdict = JSON.parse(run.stdout) as { decision: string; egress: { allowedBy: unknown[] }; ingress: { allowedBy: unknown[] } };
    expect(verdict.decision).to.equal('allowed');
    expect(verdict.egress.allowedBy).to.deep.equal([{
      policy: { namespace: 'payments', name: 'palisade-egress' }, direction: 'Egress', rule: 0, peer: 0,
      origin: { object: RINGFENCE, field: 'spec.egress.to[0]' },
    }]);
    expect(verdict.ingress.allowedBy).to.deep.equal([{ policy: { namespace: 'payments-db', name: 'postgres-from-payments' }, direction: 'Ingress', rule: 0, peer: 0 }]);
  });

  it('applies no policy for a DryRun ringfence, and says so', async function () {
    const dryRun = `apiVersion: palisade.dev/v1alpha1
kind: NamespaceRingfence
metadata: {name: ringfence, namespace: shop}
spec: {mode: DryRun}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: web, image: web}]}
`;
    const run = await palisadeWith(dryRun, 'can-reach', '10.0.0.1', 'shop/web', '--port', '80', '-f', '-');
    expect(run.code).to.equal(0);
    expect(run.stderr).to.contain('NamespaceRingfence shop/ringfence is DryRun: it applies no policy');
  });

  it('lists what it does not model: other policy kinds, pods on the host network', async function () {
    const input = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: web, image: web}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: shop}
spec: {hostNetwork: true, containers: [{name: agent, image: agent}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: lockdown, namespace: shop}
spec: {endpointSelector: {}}
`;
    const run = await palisadeWith(input, 'can-reach', '10.0.0.1', 'shop/web', '--port', '80', '-f', '-');
    expect(run.code).to.equal(0);
    expect(run.stderr).to.contain('not modelled: Cilium\'s network policies (CiliumNetworkPolicy shop/lockdown and any like it)');
    expect(run.stderr).to.contain('not modelled: pods on the host network, which NetworkPolicy does not fence: shop/pod/agent');
  });

  it('exits 2 naming what is wrong: an end not in the input, a bad port, an invalid ringfence, a policy CIDR that is none', async function () {
    const missing = await canReach('payments/api', 'payments/deployment/api');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain('payments/api: no Pod payments/api in the input; did you mean payments/deployment/api?');
    const port = await canReach('payments/deployment/api', '8.8.8.8', '--port', '70000');
    expect(port.code).to.equal(2);
    expect(port.stderr).to.contain('--port 70000: a port is a number from 1 to 65535');
    const explain = await canReach('payments/deployment/api', '8.8.8.8', '--explain');
    expect(explain.code).to.equal(2);
    expect(explain.stderr).to.contain('--explain needs --port');

    const dir = await mkdtemp(join(tmpdir(), 'palisade-can-reach-'));
    const ringfence = join(dir, 'ringfence.yaml');
    await writeFile(ringfence, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: palisade.dev/v1alpha1\nkind: NamespaceRingfence\nmetadata: {name: rf, namespace: shop}\nspec:\n  egress:\n    to: [{ipBlock: {cidr: 10.0.0.0/33}}]\n');
    const invalid = await palisade('can-reach', '10.0.0.1', '10.0.0.2', '-f', ringfence);
    expect(invalid.code).to.equal(2);
    expect(invalid.stderr).to.contain(`${ringfence}: document 2 (line 5): NamespaceRingfence shop/rf: spec.egress.to[0].ipBlock.cidr`);
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: nonsense}}]}]\n');
    const bad = await palisade('can-reach', '10.0.0.1', 'shop/web', '-f', policy);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain(`${policy}: document 1 (line 1): NetworkPolicy shop/p spec.ingress[0].from[0].ipBlock.cidr: not a CIDR: nonsense`);
  });
});
