// The operator running as its ServiceAccount with exactly the permissions of config/rbac: the
// examples still come out Ready, and nothing it tried was forbidden.
import { expect } from 'chai';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../support/crds.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../support/kubectl.ts';
import { startOperator, stopOperator, type OperatorProcess } from '../../support/operator.ts';

const cli = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const config = (path: string) => new URL(`../../../config/${path}`, import.meta.url).pathname;
const example = (file: string) => new URL(`../../../examples/${file}`, import.meta.url).pathname;
const SERVICE_ACCOUNT = 'system:serviceaccount:palisade-system:palisade-operator';

describe('the operator with the permissions of config/rbac', function () {
  this.timeout(120_000);
  let admin: string;
  let operator: OperatorProcess;

  before(async function () {
    this.timeout(600_000);
    const cluster = await sharedCluster();
    admin = cluster.kubeconfig;
    await installCrds(admin);
    for (const name of ['palisade-system', 'palisade-keys']) {
      await kubectlOk(admin, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    }
    await kubectlOk(admin, ['apply', '--server-side', '-k', config('rbac')]);
    // A client certificate in the ServiceAccount's name: RBAC sees the same user and groups.
    const kubeconfig = await cluster.userKubeconfig(SERVICE_ACCOUNT, ['system:serviceaccounts', 'system:serviceaccounts:palisade-system']);
    await eventually(async () => expect((await kubectl(kubeconfig, ['auth', 'can-i', 'bind', 'clusterroles/admin'])).stdout.trim()).to.equal('yes'));
    operator = await startOperator(cli, kubeconfig, ['--leader-elect=true'], ['operator'], [], { POD_NAMESPACE: 'palisade-system' });
  });

  after(async function () {
    for (const file of ['namespaceringfence.yaml', 'podsecuritybaseline.yaml']) {
      await kubectlOk(admin, ['delete', '-f', example(file), '--ignore-not-found', '--timeout=60s']);
    }
    if (operator) await stopOperator(operator);
  });

  it('may bind admin, edit and view, and no other ClusterRole', async function () {
    const kubeconfig = await (await sharedCluster()).userKubeconfig(SERVICE_ACCOUNT, ['system:serviceaccounts', 'system:serviceaccounts:palisade-system']);
    for (const role of ['admin', 'edit', 'view']) {
      expect((await kubectl(kubeconfig, ['auth', 'can-i', 'bind', `clusterroles/${role}`])).stdout.trim(), role).to.equal('yes');
    }
    expect((await kubectl(kubeconfig, ['auth', 'can-i', 'bind', 'clusterroles/cluster-admin'])).stdout.trim()).to.equal('no');
    expect((await kubectl(kubeconfig, ['auth', 'can-i', 'get', 'secrets', '-n', 'default'])).stdout.trim()).to.equal('no');
  });

  it('makes the ringfence and baseline examples Ready, and is never forbidden', async function () {
    await kubectlOk(admin, ['apply', '--server-side', '-f', example('namespaceringfence.yaml'), '-f', example('podsecuritybaseline.yaml')]);
    const ready = (...args: string[]) => eventually(async () => {
      const status = await kubectlOk(admin, ['get', ...args, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      const complaints = operator.logs.filter((line) => line.level === 'warn' || line.level === 'error').slice(-3);
      expect(status, JSON.stringify(complaints)).to.equal('True');
    }, 60_000);
    await ready('namespaceringfence', 'ringfence', '-n', 'payments');
    await ready('podsecuritybaseline', 'tenants-restricted');
    const problems = operator.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)));
    expect(problems, JSON.stringify(problems.slice(0, 3))).to.deep.equal([]);
  });
});
