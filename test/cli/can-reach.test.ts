// `palisade can-reach`, run as users run it, on the ringfence example and the workloads around it
// (examples/reachability): exit codes, --explain naming the ringfence's spec field of every rule
// it generated, the ClusterNetworkPolicy tiers a connection went through, and bad input named by
// file, document and field.
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

  // Two tenants and monitoring, ClusterNetworkPolicies of both served versions around a NetworkPolicy.
  const tiers = `apiVersion: v1
kind: Namespace
metadata: {name: tenant-a, labels: {tenant: "yes"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: tenant-b, labels: {tenant: "yes"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: tenant-a}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: api}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: tenant-b}
spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: prometheus, namespace: monitoring}
spec: {containers: [{name: prometheus, image: prometheus}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-monitoring, namespace: tenant-a}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: palisade-tenants-isolation
  labels: {app.kubernetes.io/managed-by: palisade, palisade.dev/clusterringfence: tenants}
spec:
  tier: Admin
  priority: 100
  subject: {namespaces: {matchLabels: {tenant: "yes"}}}
  egress:
  - {name: monitoring, action: Pass, to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
  - {name: deny-other-tenants, action: Deny, to: [{namespaces: {matchLabels: {tenant: "yes"}}}]}
  ingress:
  - {name: deny-other-tenants, action: Deny, from: [{namespaces: {matchLabels: {tenant: "yes"}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline-default-deny}
spec:
  tier: Baseline
  priority: 10
  subject: {namespaces: {matchLabels: {tenant: "yes"}}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`;
  const tiered = (...args: string[]) => palisadeWith(tiers, 'can-reach', ...args, '--port', '80', '-f', '-');

  it('--explain follows each direction through the ClusterNetworkPolicy tiers and NetworkPolicy', async function () {
    const denied = await tiered('tenant-b/deploy/web', 'tenant-a/deploy/api', '--explain');
    expect(denied.code, denied.stderr).to.equal(1);
    expect(denied.stdout).to.equal(`tenant-b/deployment/web -> tenant-a/deployment/api TCP 80: denied
  egress of tenant-b/deployment/web: denied by Admin ClusterNetworkPolicy palisade-tenants-isolation spec.egress[1].to[0] "deny-other-tenants" (Deny) (ClusterRingfence tenants)
  ingress of tenant-a/deployment/api: denied by Admin ClusterNetworkPolicy palisade-tenants-isolation spec.ingress[0].from[0] "deny-other-tenants" (Deny) (ClusterRingfence tenants)
`);
    const passed = await tiered('tenant-a/deploy/api', 'monitoring/prometheus', '--explain');
    expect(passed.code).to.equal(0);
    expect(passed.stdout).to.contain('egress of tenant-a/deployment/api: Admin ClusterNetworkPolicy palisade-tenants-isolation spec.egress[0].to[0] "monitoring" (Pass) (ClusterRingfence tenants) → allowed: no NetworkPolicy selects it for Egress\n');
    const policy = await tiered('monitoring/prometheus', 'tenant-a/deploy/api', '--explain');
    expect(policy.code).to.equal(0);
    expect(policy.stdout).to.contain('ingress of tenant-a/deployment/api: no rule of the Admin tier (ClusterNetworkPolicy palisade-tenants-isolation) matches → allowed by NetworkPolicy tenant-a/allow-monitoring spec.ingress[0].from[0]\n');
    const baseline = await tiered('monitoring/prometheus', 'tenant-b/deploy/web', '--explain');
    expect(baseline.code).to.equal(1);
    expect(baseline.stdout).to.contain('ingress of tenant-b/deployment/web: no rule of the Admin tier (ClusterNetworkPolicy palisade-tenants-isolation) matches → '
      + 'no NetworkPolicy selects it for Ingress → denied by Baseline ClusterNetworkPolicy baseline-default-deny spec.ingress[0].from[0] (Deny)\n');
  });

  it('prints the tier path in JSON: each tier, its outcome, and the rule that decided', async function () {
    const run = await tiered('monitoring/prometheus', 'tenant-b/deploy/web', '-o', 'json');
    const verdict = JSON.parse(run.stdout) as { ingress: { tiers: unknown[] } };
    expect(verdict.ingress.tiers).to.deep.equal([
      { tier: 'Admin', outcome: 'pass', policies: ['palisade-tenants-isolation'] },
      { tier: 'NetworkPolicy', outcome: 'pass' },
      {
        tier: 'Baseline', outcome: 'denied', policies: ['baseline-default-deny'],
        rule: { policy: 'baseline-default-deny', tier: 'Baseline', priority: 10, direction: 'Ingress', rule: 0, action: 'Deny', peer: 0 },
      },
    ]);
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
    const cluster = join(dir, 'cluster.yaml');
    await writeFile(cluster, 'apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.1/8]}]}]}\n');
    const badCluster = await palisade('can-reach', '10.0.0.1', 'shop/web', '-f', cluster);
    expect(badCluster.code).to.equal(2);
    expect(badCluster.stderr).to.contain(`${cluster}: document 1 (line 1): ClusterNetworkPolicy c spec.egress[0].to[0].networks[0]: "10.0.0.1/8" must have no bits set past the prefix length`);
  });
});
