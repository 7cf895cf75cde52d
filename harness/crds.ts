// Installs Palisade's CRDs the way users do (the config/crd kustomize base) and waits until the API server serves them.
import { kubectlOk } from './kubectl.ts';

const crdsBase = new URL('../config/crd', import.meta.url).pathname;

export async function installCrds(kubeconfig: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '--server-side', '-k', crdsBase]);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=palisade']);
}
