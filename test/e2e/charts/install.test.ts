// charts/palisade on a real control plane of its own (Helm owns cluster-wide objects here that the
// shared one has from kubectl): install, the operator reconciling the examples as the ServiceAccount
// the chart made and with the environment it set, an upgrade with changed values, and an uninstall that leaves the CRDs and what
// users wrote.
import { expect } from 'chai';
import { ControlPlane } from '../../../harness/control-plane/control-plane.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { startOperator, stopOperator, type OperatorProcess } from '../../../harness/operator.ts';
import { CHART, runHelm } from '../../../harness/helm.ts';
import { eventually } from '../../support/eventually.ts';

const CLI = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const example = (file: string) => new URL(`../../../examples/${file}`, import.meta.url).pathname;
const NAMESPACE = 'palisade-system';
const OPERATOR = `system:serviceaccount:${NAMESPACE}:palisade-operator`;

describe('helm install, upgrade and uninstall of charts/palisade', function () {
  this.timeout(180_000);
  let plane: ControlPlane;
  let operator: OperatorProcess | undefined;
  const helmOn = async (...args: string[]) => {
    const { code, stdout, stderr } = await runHelm([...args, '--kubeconfig', plane.kubeconfig, '--namespace', NAMESPACE]);
    expect(code, `helm ${args.join(' ')}: ${stderr}`).to.equal(0);
    return stdout;
  };
  const get = async <T>(...args: string[]) => JSON.parse(await kubectlOk(plane.kubeconfig, ['get', ...args, '-o', 'json'])) as T;
  const ready = (...args: string[]) => eventually(async () => {
    const { status } = await get<{ status?: { conditions?: { type: string; status: string }[] } }>(...args);
    expect(status?.conditions?.find((c) => c.type === 'Ready')?.status, JSON.stringify(status)).to.equal('True');
  }, 60_000);

  /** The operator as the Deployment runs it: the chart's ServiceAccount, and its ConfigMap as the environment (envFrom). */
  const startAsDeployed = async () => {
    const kubeconfig = await plane.userKubeconfig(OPERATOR, ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`]);
    await eventually(async () => expect((await kubectl(kubeconfig, ['auth', 'can-i', 'bind', 'clusterroles/admin'])).stdout.trim()).to.equal('yes'));
    const { data } = await get<{ data: Record<string, string> }>('configmap', 'palisade-operator-env', '-n', NAMESPACE);
    return startOperator(CLI, kubeconfig, [], ['operator'], [], { ...data, POD_NAMESPACE: NAMESPACE });
  };

  before(async function () {
    this.timeout(1_800_000);
    plane = await ControlPlane.start();
  });

  after(async function () {
    if (operator) await stopOperator(operator);
    await plane?.stop();
  });

  it('installs: the operator, as the ServiceAccount and RBAC the chart made, makes the ringfence example Ready', async function () {
    await helmOn('install', 'palisade', CHART, '--create-namespace');
    const deployment = await get<{ spec: { replicas: number } }>('deployment', 'palisade-operator', '-n', NAMESPACE);
    expect(deployment.spec.replicas).to.equal(2);
    // No kubelet runs the Deployment here: the operator runs as a process with the pod's identity.
    operator = await startAsDeployed();
    await kubectlOk(plane.kubeconfig, ['apply', '--server-side', '-f', example('namespaceringfence.yaml')]);
    await ready('namespaceringfence', 'ringfence', '-n', 'payments');
  });

  it('upgrades with changed values: the environment and replicas change, the pods roll, and the operator goes on', async function () {
    const before = await get<{ spec: { template: { metadata: { annotations: Record<string, string> } } } }>('deployment', 'palisade-operator', '-n', NAMESPACE);
    await helmOn('upgrade', 'palisade', CHART, '--reuse-values', '--set', 'logLevel=debug', '--set', 'replicas=3');
    const after = await get<{ spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } }>('deployment', 'palisade-operator', '-n', NAMESPACE);
    expect(after.spec.replicas).to.equal(3);
    expect(after.spec.template.metadata.annotations['checksum/env']).to.not.equal(before.spec.template.metadata.annotations['checksum/env']);
    const env = await get<{ data: Record<string, string> }>('configmap', 'palisade-operator-env', '-n', NAMESPACE);
    expect(env.data.PALISADE_LOG_LEVEL).to.equal('debug');
    expect(JSON.parse(await helmOn('history', 'palisade', '-o', 'json')) as unknown[]).to.have.length(2);
    await stopOperator(operator!);
    operator = await startAsDeployed();
    await kubectlOk(plane.kubeconfig, ['apply', '--server-side', '-f', example('podsecuritybaseline.yaml')]);
    await ready('podsecuritybaseline', 'tenants-restricted');
  });

  it('uninstalls: the CRDs, the ringfence and what it made stay; the operator and its RBAC go', async function () {
    await stopOperator(operator!);
    operator = undefined;
    await helmOn('uninstall', 'palisade', '--wait');
    for (const crd of ['namespaceringfences', 'clusterringfences', 'podsecuritybaselines', 'keyrotationschedules']) {
      expect((await kubectl(plane.kubeconfig, ['get', 'crd', `${crd}.palisade.dev`])).code, crd).to.equal(0);
    }
    expect((await kubectl(plane.kubeconfig, ['get', 'namespaceringfence', 'ringfence', '-n', 'payments'])).code).to.equal(0);
    const policies = await get<{ items: unknown[] }>('networkpolicy', '-n', 'payments', '-l', 'palisade.dev/ringfence=ringfence');
    expect(policies.items).to.not.have.length(0);
    for (const gone of [['deployment', 'palisade-operator', '-n', NAMESPACE], ['clusterrole', 'palisade-operator'], ['validatingadmissionpolicy', 'palisade-ringfence-access']]) {
      expect((await kubectl(plane.kubeconfig, ['get', ...gone])).code, gone.join(' ')).to.not.equal(0);
    }
  });
});
