// Runtime features for cluster-scoped owners, other kinds and status, in an operator process
// against a test CRD.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { startOperator, stopOperator, type OperatorProcess } from '../../../harness/operator.ts';

const widgetOperator = new URL('fixtures/widget-operator.ts', import.meta.url).pathname;
const widgetCrd = new URL('fixtures/widget-crd.json', import.meta.url).pathname;

function widget(name: string, targetNamespace: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ apiVersion: 'test.palisade.dev/v1', kind: 'Widget', metadata: { name }, spec: { targetNamespace, message: 'hello', ...extra } });
}

describe('operator runtime with a cluster-scoped kind', function () {
  this.timeout(120_000);
  let kubeconfig: string;
  let operator: OperatorProcess;
  const suffix = randomBytes(3).toString('hex');
  const target = `widget-target-${suffix}`;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', widgetCrd]);
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', 'crd/widgets.test.palisade.dev']);
    operator = await startOperator(widgetOperator, kubeconfig, ['--leader-elect=false']);
  });

  after(async function () {
    if (operator) await stopOperator(operator, 'SIGKILL');
    await kubectlOk(kubeconfig, ['delete', 'namespace', target, '--ignore-not-found', '--wait=false']);
  });

  const condition = async (name: string) => JSON.parse(await kubectlOk(kubeconfig, ['get', 'widget', name, '-o', 'json'])) as {
    metadata: { generation: number };
    status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string; lastTransitionTime: string }[] };
  };

  it('reports a missing namespace in status, and acts when a watch on Namespaces sees it created', async function () {
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], widget(`w1-${suffix}`, target));
    await eventually(async () => {
      const { metadata, status } = await condition(`w1-${suffix}`);
      expect(status?.observedGeneration).to.equal(metadata.generation);
      expect(status?.conditions?.[0]).to.include({ type: 'Ready', status: 'False', reason: 'NamespaceNotFound' });
    });
    await kubectlOk(kubeconfig, ['create', 'namespace', target]);
    await eventually(async () => expect((await condition(`w1-${suffix}`)).status?.conditions?.[0]).to.include({ status: 'True', reason: 'Applied' }));
    const data = await kubectlOk(kubeconfig, ['get', 'configmap', `widget-w1-${suffix}`, '-n', target, '-o', 'jsonpath={.data.message}']);
    expect(data).to.equal('hello');
  });

  it('maps an object labelled with its owner\'s UID back to the owner: a deleted one is put back', async function () {
    await eventually(async () => kubectlOk(kubeconfig, ['get', 'configmap', `widget-w1-${suffix}`, '-n', target]));
    await kubectlOk(kubeconfig, ['delete', 'configmap', `widget-w1-${suffix}`, '-n', target]);
    await eventually(async () => kubectlOk(kubeconfig, ['get', 'configmap', `widget-w1-${suffix}`, '-n', target]));
  });

  it('reconciles again after the delay a reconcile asks for, with nothing changed', async function () {
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], widget(`w2-${suffix}`, target, { requeueAfterMs: 300 }));
    const reconciles = () => operator.logs.filter((line) => line.message === 'reconciled' && line.name === `w2-${suffix}`);
    await eventually(() => expect(reconciles().length).to.be.at.least(6), 20_000);
    expect(reconciles().at(-1)).to.include({ requeueAfterMs: 300 });
  });

  it('keeps lastTransitionTime while the condition status holds', async function () {
    const first = (await condition(`w1-${suffix}`)).status?.conditions?.[0]?.lastTransitionTime;
    await kubectlOk(kubeconfig, ['patch', 'widget', `w1-${suffix}`, '--type=merge', '-p', '{"spec":{"message":"changed"}}']);
    await eventually(async () => {
      const { metadata, status } = await condition(`w1-${suffix}`);
      expect(status?.observedGeneration).to.equal(metadata.generation);
    });
    expect((await condition(`w1-${suffix}`)).status?.conditions?.[0]?.lastTransitionTime).to.equal(first);
    await eventually(async () => expect(await kubectlOk(kubeconfig, ['get', 'configmap', `widget-w1-${suffix}`, '-n', target, '-o', 'jsonpath={.data.message}'])).to.equal('changed'));
  });
});
