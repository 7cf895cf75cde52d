// The ClusterNetworkPolicy CRDs of sigs.k8s.io/network-policy-api v0.3.0 (standard channel), as
// the module ships them, installed into a test control plane. The module comes from the Go module
// proxy, checked against the checksum database, into the Go module cache.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { clusterNetworkPolicies as versioned } from '../src/kubernetes/resources.ts';
import type { Resource } from '../src/runtime/client.ts';
import { inVersion } from '../src/runtime/discovery.ts';
import { kubectlOk } from './kubectl.ts';

const NETWORK_POLICY_API = 'sigs.k8s.io/network-policy-api@v0.3.0';
const CRD = 'clusternetworkpolicies.policy.networking.k8s.io';

/** Its storage version; v1alpha2 is served with the same schema. */
export const clusterNetworkPolicies: Resource = inVersion(versioned, 'v1beta1');

/** The CRD file of the module's standard channel, downloaded first if need be. */
function clusterNetworkPolicyCrdFile(): string {
  const module = JSON.parse(execFileSync('go', ['mod', 'download', '-json', NETWORK_POLICY_API], {
    encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' }, cwd: '/',
  })) as { Dir?: string; Error?: string };
  if (!module.Dir) throw new Error(`go mod download ${NETWORK_POLICY_API}: ${module.Error ?? 'no directory'}`);
  return join(module.Dir, 'config', 'crd', 'standard', 'policy.networking.k8s.io_clusternetworkpolicies.yaml');
}

/** Installs (or updates) the CRD and waits until both its versions are served. */
export async function installClusterNetworkPolicyCrds(kubeconfig: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', clusterNetworkPolicyCrdFile()]);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', `crd/${CRD}`, '--timeout=60s']);
}

/** Removes the CRD, and with it every ClusterNetworkPolicy; waits until it is gone. */
export async function removeClusterNetworkPolicyCrds(kubeconfig: string): Promise<void> {
  await kubectlOk(kubeconfig, ['delete', `crd/${CRD}`, '--wait=true', '--timeout=60s']);
}
