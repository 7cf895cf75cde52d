// Gives each test a namespace of its own, deleted after it. Like a namespace in a real cluster
// it is ready for pods once kube-controller-manager has given it its default ServiceAccount.
import { randomBytes } from 'node:crypto';
import { sharedCluster } from './cluster.ts';
import { kubectlOk } from '../../harness/kubectl.ts';

export interface TestNamespace {
  name: string;
}

/** Call inside a describe: `ns.name` is a fresh namespace during each test. */
export function useNamespace(prefix = 'test'): TestNamespace {
  const ns: TestNamespace = { name: '' };
  beforeEach(async function () {
    const cluster = await sharedCluster();
    ns.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await kubectlOk(cluster.kubeconfig, ['create', 'namespace', ns.name]);
    await kubectlOk(cluster.kubeconfig, ['wait', '--for=create', 'serviceaccount/default', '-n', ns.name, '--timeout=60s']);
  });
  afterEach(async function () {
    const cluster = await sharedCluster();
    await kubectlOk(cluster.kubeconfig, ['delete', 'namespace', ns.name, '--wait=false']);
  });
  return ns;
}
