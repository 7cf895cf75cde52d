// Which version of ClusterNetworkPolicy the cluster serves, found by discovery: v1beta1 (the
// storage version of network-policy-api v0.3.0), else v1alpha2 (the same schema). The group may
// serve other kinds (AdminNetworkPolicy in v1alpha1), so the resource itself must be listed.
// Until it is, discovery is asked again at most every RECHECK_MS: the CRDs may come later.
import { isNotFound, type KubeClient, type Resource } from '../../runtime/client.ts';

const GROUP = 'policy.networking.k8s.io';
const VERSIONS = ['v1beta1', 'v1alpha2'];
const RESOURCE = 'clusternetworkpolicies';
export const RECHECK_MS = 30_000;

/** What to install, for the status of a cluster that serves neither version. */
export const UNSUPPORTED = `ClusterNetworkPolicy (${GROUP} ${VERSIONS.join(' or ')}) is not served here: install the CRDs of `
  + 'sigs.k8s.io/network-policy-api v0.3.0 (standard channel) and a network plugin that enforces them '
  + '(kube-network-policies, Calico, Antrea, Cilium with its ClusterNetworkPolicy support on)';

export const clusterNetworkPolicyResource = (version: string): Resource => ({ group: GROUP, version, kind: 'ClusterNetworkPolicy', resource: RESOURCE, namespaced: false });

export class ServedApi {
  private readonly client: KubeClient;
  private readonly clock: () => Date;
  private served: Resource | undefined;
  private checkedAt = -Infinity;

  constructor(client: KubeClient, clock: () => Date) {
    this.client = client;
    this.clock = clock;
  }

  /** The served resource, once found; undefined while neither version is served. */
  async resolve(): Promise<Resource | undefined> {
    const now = this.clock().getTime();
    if (this.served || now - this.checkedAt < RECHECK_MS) return this.served;
    this.checkedAt = now;
    this.served = await this.discover();
    return this.served;
  }

  private async discover(): Promise<Resource | undefined> {
    const group = await this.client.discover<{ versions?: { version: string }[] }>(`/apis/${GROUP}`).catch(notServed);
    const offered = new Set((group?.versions ?? []).map(({ version }) => version));
    for (const version of VERSIONS.filter((v) => offered.has(v))) {
      const list = await this.client.discover<{ resources?: { name: string }[] }>(`/apis/${GROUP}/${version}`).catch(notServed);
      if (list?.resources?.some(({ name }) => name === RESOURCE)) return clusterNetworkPolicyResource(version);
    }
    return undefined;
  }
}

function notServed(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}
