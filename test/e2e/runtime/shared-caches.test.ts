// Controllers share one cache per kind, and a write's answer is cached ahead of its watch event
// (Informer.assume): the other controllers must still hear of it, not at the next resync. Here a
// PodSecurityBaseline labels a namespace, and a ClusterRingfence that selects namespaces by that
// label takes it in, on the real control plane, with a resync far longer than the test. Which of
// the answer and the event comes first is the machine's; the informer's and the controller's unit
// tests hold the answer's path.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { installClusterNetworkPolicyCrds } from '../../../harness/network-policy-api.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { eventually } from '../../support/eventually.ts';
import { createNamespace } from '../../support/namespace.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';

type Status = { observedGeneration?: number; namespaceCount?: number; conditions?: { type: string; reason: string }[] };

describe('Controllers sharing a cache', function () {
  this.timeout(120_000);
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=600'], installClusterNetworkPolicyCrds);
  const run = randomBytes(3).toString('hex');
  const namespace = `shared-cache-${run}`;
  const apply = (object: object) => kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify(object));
  const ringfenceStatus = async () => (JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'clusterringfence', `restricted-${run}`, '-o', 'json'])) as
    { metadata: { generation: number }; status?: Status });

  // While the operator runs (it is stopped in an after hook): the baseline's finalizer takes its labels off.
  afterEach(async function () {
    for (const kind of ['clusterringfence', 'podsecuritybaseline']) await kubectl(suite.kubeconfig, ['delete', kind, `restricted-${run}`, '--wait=true']);
    await kubectl(suite.kubeconfig, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it('tells a ClusterRingfence of the Pod Security labels a PodSecurityBaseline writes', async function () {
    await createNamespace(suite.kubeconfig, namespace, { 'shared-cache-test': run });
    await apply({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', metadata: { name: `restricted-${run}` },
      spec: {
        namespaceSelector: { matchLabels: { 'shared-cache-test': run, 'pod-security.kubernetes.io/enforce': 'restricted' } },
        priority: 60, guardrails: { blockCloudMetadata: true },
      },
    });
    await eventually(async () => {
      const { metadata, status } = await ringfenceStatus();
      expect(status?.observedGeneration).to.equal(metadata.generation);
      expect(status?.conditions?.find((c) => c.type === 'Ready')).to.include({ reason: 'Applied' });
      expect(status?.namespaceCount).to.equal(0);
    }, 30_000);

    await apply({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: `restricted-${run}` },
      spec: { namespaceSelector: { matchLabels: { 'shared-cache-test': run } }, enforce: { level: 'restricted', version: 'v1.37' } },
    });
    await eventually(async () => {
      const labels = (JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'namespace', namespace, '-o', 'json'])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
      expect(labels).to.include({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    }, 30_000);
    // Well within the 600 s resync: from the write's answer, or its watch event, whichever came first.
    await eventually(async () => expect((await ringfenceStatus()).status?.namespaceCount).to.equal(1), 15_000);
  });
});
