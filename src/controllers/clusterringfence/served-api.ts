// Which version of ClusterNetworkPolicy the cluster serves (src/runtime/discovery.ts), asked again
// at most every RECHECK_MS until it is: the CRDs may come after the operator. Once found, asked
// again once forgotten (generated-policies.ts: a 404 to the cache of that version).
import { clusterNetworkPolicies } from '../../kubernetes/resources.ts';
import type { KubeClient, Resource } from '../../runtime/client.ts';
import { servedVersion } from '../../runtime/discovery.ts';

export const RECHECK_MS = 30_000;

/** What to install, for the status of a cluster that serves neither version. */
export const UNSUPPORTED = `ClusterNetworkPolicy (${clusterNetworkPolicies.group} ${clusterNetworkPolicies.versions.join(' or ')}) is not served here: install the CRDs of `
  + 'sigs.k8s.io/network-policy-api v0.3.0 (standard channel) and a network plugin that enforces them '
  + '(kube-network-policies, Calico, Antrea, Cilium with its ClusterNetworkPolicy support on)';

export class ServedApi {
  private readonly client: KubeClient;
  private readonly clock: () => Date;
  private served: Resource | undefined;
  /** The discovery under way, which every caller meanwhile waits for. */
  private asking: Promise<Resource | undefined> | undefined;
  private notServedAt = -Infinity;

  constructor(client: KubeClient, clock: () => Date) {
    this.client = client;
    this.clock = clock;
  }

  /** The served resource, once found; undefined while neither version is served. */
  async resolve(): Promise<Resource | undefined> {
    if (this.served || this.clock().getTime() - this.notServedAt < RECHECK_MS) return this.served;
    this.asking ??= servedVersion(this.client, clusterNetworkPolicies).finally(() => {
      this.asking = undefined;
    });
    this.served = await this.asking;
    if (!this.served) this.notServedAt = this.clock().getTime();
    return this.served;
  }

  /** The resource found is no longer served: the next resolve asks discovery at once. */
  forget(): void {
    this.served = undefined;
    this.notServedAt = -Infinity;
  }
}
