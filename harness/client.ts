// A runtime KubeClient for a kubeconfig of the test control plane, optionally aimed at one
// apiserver of several.
import { KubeClient, type RequestObserver } from '../src/runtime/client.ts';
import { loadCredentials } from '../src/runtime/credentials.ts';
import { sharedCluster } from '../test/support/cluster.ts';

export async function clientFor(kubeconfig: string, options: { server?: string; observe?: RequestObserver } = {}): Promise<KubeClient> {
  const credentials = await loadCredentials(kubeconfig);
  return new KubeClient(options.server ? { ...credentials, server: options.server } : credentials, { observe: options.observe });
}

/** Call inside a describe: `holder.client` is a client of the shared test control plane, closed after. */
export function useClient(): { client: KubeClient } {
  const holder = {} as { client: KubeClient };
  before(async function () {
    this.timeout(600_000);
    holder.client = await clientFor((await sharedCluster()).kubeconfig);
  });
  after(async function () {
    await holder.client?.close();
  });
  return holder;
}
