// The demo's ClusterNetworkPolicy API: the CRDs of sigs.k8s.io/network-policy-api v0.3.0 (standard
// channel, from the Go module), so that the ClusterRingfence example has something to write. No
// network plugin enforces them on this control plane: it has no nodes.
import { installClusterNetworkPolicyCrds } from '../../harness/network-policy-api.ts';

const kubeconfig = process.argv[2];
if (!kubeconfig) throw new Error('usage: node hack/demo/cluster-network-policy-crds.ts KUBECONFIG');
await installClusterNetworkPolicyCrds(kubeconfig);
