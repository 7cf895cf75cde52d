// A runtime KubeClient for a kubeconfig of the test control plane, optionally aimed at one
// apiserver of several.
import { KubeClient, type RequestObserver } from '../../src/runtime/client.ts';
import { loadCredentials } from '../../src/runtime/credentials.ts';

export async function clientFor(kubeconfig: string, options: { server?: string; observe?: RequestObserver } = {}): Promise<KubeClient> {
  const credentials = await loadCredentials(kubeconfig);
  return new KubeClient(options.server ? { ...credentials, server: options.server } : credentials, { observe: options.observe });
}
