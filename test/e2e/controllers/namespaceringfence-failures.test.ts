// What a ringfence reports when the API server refuses what it generates, and how fast a
// ringfence that lost a Conflict takes over. The operator runs with the default resync (600 s):
// nothing here may wait for one.
import { expect } from 'chai';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';

interface Condition { type: string; status: string; reason: string; message: string; observedGeneration?: number }
interface Fence { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Condition[]; networkPolicies?: string[] } }

// A cluster's own policy (as Kyverno or Gatekeeper would have one): no NetworkPolicy may open
// port 8443 in a namespace labelled for it. It answers 422, as a validation failure does.
const REFUSING_POLICY = [
  {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'test-no-egress-8443' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['networkpolicies'] }] },
      validations: [{
        expression: "!has(object.spec.egress) || object.spec.egress.all(r, !has(r.ports) || r.ports.all(p, !has(p.port) || p.port != 8443))",
        message: 'egress to port 8443 is reserved by cluster policy', reason: 'Invalid',
      }],
    },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'test-no-egress-8443' },
    spec: {
      policyName: 'test-no-egress-8443', validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchLabels: { 'test.palisade.dev/no-egress-8443': 'true' } } },
    },
  },
];

describe('NamespaceRingfence failures', function () {
  this.timeout(120_000);
  const ns = useNamespace('fence-fail');
  const suite = usePalisadeOperator(['--leader-elect=false'], (kubeconfig) =>
    kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: REFUSING_POLICY })));

  after(async function () {
    await kubectl(suite.kubeconfig, ['delete', 'validatingadmissionpolicy,validatingadmissionpolicybinding', 'test-no-egress-8443']);
  });

  const applyFence = (spec: NamespaceRingfenceSpec, name = 'fence') => kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-n', ns.name, '-f', '-'],
    JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name }, spec }));
  const fence = async (name = 'fence') => JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'ringfence', name, '-n', ns.name, '-o', 'json'])) as Fence;
  const ready = (fenced: Fence) => fenced.status?.conditions?.find((c) => c.type === 'Ready');
  const exists = async (kind: string, name: string) => (await kubectl(suite.kubeconfig, ['get', kind, name, '-n', ns.name])).code === 0;
  const warnings = async (reason: string) => (JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'events.events.k8s.io', '-n', ns.name, '-o', 'json'])) as
    { items: { reason: string; note: string }[] }).items.filter((event) => event.reason === reason);

  /** Labels the namespace for the refusing policy, and waits until the API server applies it there. */
  async function refuseEgress8443() {
    await kubectlOk(suite.kubeconfig, ['label', 'namespace', ns.name, 'test.palisade.dev/no-egress-8443=true']);
    const probe = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'probe' }, spec: { podSelector: {}, egress: [{ ports: [{ port: 8443 }] }] } };
    await eventually(async () => {
      const result = await kubectl(suite.kubeconfig, ['create', '--dry-run=server', '-n', ns.name, '-f', '-'], JSON.stringify(probe));
      expect(result.stderr).to.include('reserved by cluster policy');
    }, 30_000);
  }

  const egress8443: NamespaceRingfenceSpec = { egress: { to: [{ ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 8443 }] }] } };

  it('reports a refused object in status at the generation that failed, with one Event, and keeps the default deny', async function () {
    await refuseEgress8443();
    await applyFence(egress8443);
    const failed = await eventually(async () => {
      const fenced = await fence();
      expect(fenced.status?.observedGeneration).to.equal(fenced.metadata.generation);
      expect(ready(fenced)).to.include({ status: 'False', reason: 'ApplyFailed' });
      return fenced;
    }, 30_000);
    expect(ready(failed)?.message).to.match(/^apply NetworkPolicy palisade-egress failed \(422\): .*egress to port 8443 is reserved by cluster policy; palisade-default-deny is in place$/);
    expect(failed.status?.networkPolicies).to.deep.equal(['palisade-default-deny', 'palisade-same-namespace', 'palisade-dns']);
    expect(await exists('networkpolicy', 'palisade-default-deny')).to.equal(true);
    // It keeps retrying (with backoff) and says the same once: one Event, one status.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await warnings('ApplyFailed')).to.have.length(1);
    expect(suite.operator.logs.filter((line) => line.message === 'reconcile failed' && line.namespace === ns.name).length).to.be.at.least(2);
  });

  it('removes an allow policy whose new version is refused, rather than leave the old rule in force (fail closed)', async function () {
    await applyFence({ egress: { to: [{ ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] } });
    await eventually(async () => expect(ready(await fence())).to.include({ status: 'True' }), 30_000);
    await refuseEgress8443();
    await applyFence(egress8443);
    await eventually(async () => {
      const fenced = await fence();
      expect(fenced.status?.observedGeneration).to.equal(fenced.metadata.generation);
      expect(ready(fenced)).to.include({ status: 'False', reason: 'ApplyFailed' });
      expect(await exists('networkpolicy', 'palisade-egress'), 'the 443 rule the spec no longer allows').to.equal(false);
    }, 30_000);
    await applyFence({ egress: { to: [{ ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] } });
    await eventually(async () => {
      expect(ready(await fence())).to.include({ status: 'True', reason: 'Applied' });
      expect(await exists('networkpolicy', 'palisade-egress')).to.equal(true);
    }, 30_000);
  });

  it('lets a ringfence that lost a Conflict take over as soon as the winner is deleted', async function () {
    await applyFence({}, 'first');
    await eventually(async () => expect(ready(await fence('first'))).to.include({ status: 'True' }), 30_000);
    await applyFence({ egress: { dns: { enabled: false } } }, 'second');
    await eventually(async () => expect(ready(await fence('second'))).to.include({ reason: 'Conflict' }), 30_000);
    await kubectlOk(suite.kubeconfig, ['delete', 'ringfence', 'first', '-n', ns.name]);
    await eventually(async () => {
      expect(ready(await fence('second'))).to.include({ status: 'True', reason: 'Applied' });
      expect(await exists('networkpolicy', 'palisade-default-deny')).to.equal(true);
      expect(await exists('networkpolicy', 'palisade-dns')).to.equal(false);
    }, 10_000);
  });
});
