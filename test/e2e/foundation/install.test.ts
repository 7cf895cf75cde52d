// Installing Palisade the way users do: `kubectl apply --server-side -k config/default`.
import { expect } from 'chai';
import { load } from 'js-yaml';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';

const defaults = new URL('../../../config/default', import.meta.url).pathname;

describe('config/default on the real API server', function () {
  this.timeout(120_000);
  let kubeconfig: string;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  it('is accepted in full by kubectl apply --server-side -k', async function () {
    const rendered = await kubectlOk(kubeconfig, ['kustomize', defaults]);
    const objects = rendered.split(/^---$/m).map((doc) => load(doc) as { kind: string; metadata: { name: string } });
    const out = await kubectlOk(kubeconfig, ['apply', '--server-side', '-k', defaults]);
    expect(out.trim().split('\n').filter((line) => line.endsWith('serverside-applied'))).to.have.length(objects.length);
  });

  it("runs the operator's pod under the restricted Pod Security Standard of its namespace", async function () {
    const deployment = JSON.parse(await kubectlOk(kubeconfig, ['get', 'deployment', 'palisade-operator', '-n', 'palisade-system', '-o', 'json'])) as
      { spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'palisade-operator-check', namespace: 'palisade-system' }, spec: deployment.spec.template.spec };
    const result = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.not.include('violate');
    const privileged = { ...pod, spec: { ...pod.spec, hostNetwork: true } };
    const refused = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(privileged));
    expect(refused.stderr, 'the namespace enforces restricted').to.include('violates PodSecurity "restricted:latest"');
  });
});
