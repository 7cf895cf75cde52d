// A runtime KubeClient for a kubeconfig of the test control plane, optionally aimed at one
// apiserver of several.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type RequestObserver } from '../../src/runtime/client.ts';

export async function clientFor(kubeconfig: string, options: { server?: string; observe?: RequestObserver } = {}): Promise<KubeClient> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const { server, observe } = options;
  if (server) config.clusters = config.clusters.map((cluster) => ({ ...cluster, server }));
  return KubeClient.create(config, { observe });
}
