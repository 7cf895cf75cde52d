// Gives each test a namespace of its own, deleted after it. Like a namespace in a real cluster
// it is ready for pods once kube-controller-manager has given it its default ServiceAccount.
import { randomBytes } from 'node:crypto';
import { sharedCluster } from './cluster.ts';
import { kubectlOk } from '../../harness/kubectl.ts';

export interface TestNamespace {
  name: string;
}

/** Creates a namespace with `labels`, and waits until it is ready for pods. */
export async function createNamespace(kubeconfig: string, name: string, labels: Record<string, string> = {}): Promise<void> {
  await kubectlOk(kubeconfig, ['create', 'namespace', name]);
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  if (pairs.length > 0) await kubectlOk(kubeconfig, ['label', 'namespace', name, ...pairs]);
  await kubectlOk(kubeconfig, ['wait', '--for=create', 'serviceaccount/default', '-n', name, '--timeout=60s']);
}

/** Call inside a describe: `ns.name` is a fresh namespace during each test. */
export function useNamespace(prefix = 'test'): TestNamespace {
  const ns: TestNamespace = { name: '' };
  beforeEach(async function () {
    const cluster = await sharedCluster();
    ns.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await createNamespace(cluster.kubeconfig, ns.name);
  });
  afterEach(async function () {
    const cluster = await sharedCluster();
    await kubectlOk(cluster.kubeconfig, ['delete', 'namespace', ns.name, '--wait=false']);
  });
  return ns;
}
