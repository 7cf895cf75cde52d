// The examples a newcomer applies first, through the real operator: each comes out Ready and
// produces exactly what the controllers' own pure steps say.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { loadAll } from 'js-yaml';
import { render, type Ringfence } from '../../../src/controllers/namespaceringfence/render.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../../harness/crds.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { startPalisadeOperator } from '../../support/least-privilege.ts';
import { stopOperator, type OperatorProcess } from '../../../harness/operator.ts';

const example = (file: string) => new URL(`../../../examples/${file}`, import.meta.url).pathname;
const PSA = 'pod-security.kubernetes.io/';

describe('the examples, through the operator', function () {
  this.timeout(120_000);
  let kubeconfig: string;
  let operator: OperatorProcess;
  const get = async <T>(...args: string[]) => JSON.parse(await kubectlOk(kubeconfig, ['get', ...args, '-o', 'json'])) as T;
  const readyAtGeneration = (...args: string[]) => eventually(async () => {
    const { metadata, status } = await get<{ metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }>(...args);
    expect(status?.observedGeneration).to.equal(metadata.generation);
    expect(status?.conditions?.find((c) => c.type === 'Ready')?.status, JSON.stringify(status)).to.equal('True');
  }, 30_000);

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
    operator = await startPalisadeOperator(await sharedCluster(), ['--leader-elect=true']);
  });

  after(async function () {
    // Deleted while the operator runs, so that the baseline's finalizer hands the labels back.
    for (const file of ['namespaceringfence.yaml', 'podsecuritybaseline.yaml']) {
      await kubectlOk(kubeconfig, ['delete', '-f', example(file), '--ignore-not-found', '--timeout=60s']);
    }
    if (operator) await stopOperator(operator);
  });

  it('examples/namespaceringfence.yaml: Ready, with exactly the rendered NetworkPolicies and RoleBindings', async function () {
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', example('namespaceringfence.yaml')]);
    const fence = (loadAll(readFileSync(example('namespaceringfence.yaml'), 'utf8')) as (Ringfence & { kind: string })[]).find((doc) => doc.kind === 'NamespaceRingfence')!;
    const { namespace } = fence.metadata;
    await readyAtGeneration('namespaceringfence', fence.metadata.name, '-n', namespace);
    const expected = render(fence);
    for (const [kind, objects] of [['networkpolicy', expected.networkPolicies], ['rolebinding', expected.roleBindings]] as const) {
      const live = await get<{ items: Record<string, unknown>[] }>(kind, '-n', namespace, '-l', `palisade.dev/ringfence=${fence.metadata.name}`);
      expect(live.items.map((item) => (item.metadata as { name: string }).name).sort(), kind).to.deep.equal(objects.map((o) => o.metadata.name).sort());
      for (const object of objects) {
        const match = live.items.find((item) => (item.metadata as { name: string }).name === object.metadata.name)!;
        const content = (item: Record<string, unknown>) => ({ spec: item.spec, roleRef: item.roleRef, subjects: item.subjects });
        expect(content(match), object.metadata.name).to.deep.equal(content(object as unknown as Record<string, unknown>));
      }
    }
  });

  it('examples/podsecuritybaseline.yaml: Ready, with the labels on the tenant namespace of the ringfence example', async function () {
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', example('namespaceringfence.yaml'), '-f', example('podsecuritybaseline.yaml')]);
    await readyAtGeneration('podsecuritybaseline', 'tenants-restricted');
    const { metadata } = await get<{ metadata: { labels: Record<string, string> } }>('namespace', 'payments');
    expect(metadata.labels).to.include({
      [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'v1.37', [`${PSA}audit-version`]: 'latest', [`${PSA}warn-version`]: 'latest',
    });
  });
});
