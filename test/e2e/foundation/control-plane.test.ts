// The test control plane behaves like a real cluster: RBAC for client-certificate users, Pod
// Security Admission, and kube-controller-manager's garbage collector and service accounts.
import { expect } from 'chai';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { eventually } from '../../support/eventually.ts';
import { useNamespace } from '../../support/namespace.ts';

function pod(name: string, securityContext: Record<string, unknown>, podSecurityContext: Record<string, unknown> = {}) {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { securityContext: podSecurityContext, containers: [{ name: 'app', image: 'registry.example/app:1', securityContext }] },
  });
}

const restrictedContainer = {
  allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

describe('the test control plane', function () {
  let kubeconfig: string;
  const ns = useNamespace('cp');

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  it('authenticates client-certificate users with their groups and authorizes them with RBAC', async function () {
    const alice = await (await sharedCluster()).userKubeconfig('alice', ['payments-devs', 'auditors']);
    const whoami = JSON.parse(await kubectlOk(alice, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(whoami.status.userInfo.username).to.equal('alice');
    expect(whoami.status.userInfo.groups).to.include.members(['payments-devs', 'auditors', 'system:authenticated']);

    const denied = await kubectl(alice, ['get', 'configmaps', '-n', ns.name]);
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.include('forbidden');

    await kubectlOk(kubeconfig, ['create', 'rolebinding', 'devs-view', '--clusterrole=view', '--group=payments-devs', '-n', ns.name]);
    await eventually(async () => expect((await kubectl(alice, ['get', 'configmaps', '-n', ns.name])).code).to.equal(0));
    expect((await kubectl(alice, ['auth', 'can-i', 'list', 'secrets', '-n', ns.name])).stdout).to.equal('no\n');
  });

  it('enforces Pod Security Admission: a pod that violates restricted is rejected', async function () {
    await kubectlOk(kubeconfig, ['label', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=restricted']);
    const privileged = await kubectl(kubeconfig, ['create', '-n', ns.name, '-f', '-'], pod('privileged', { privileged: true }));
    expect(privileged.code).to.not.equal(0);
    expect(privileged.stderr).to.include('violates PodSecurity "restricted:latest"');
    expect(privileged.stderr).to.include('privileged');

    await kubectlOk(kubeconfig, ['create', '-n', ns.name, '-f', '-'], pod('compliant', restrictedContainer, { runAsNonRoot: true }));
  });

  it('collects garbage: deleting an owner removes its dependent ConfigMap', async function () {
    await kubectlOk(kubeconfig, ['create', 'configmap', 'owner', '-n', ns.name]);
    const uid = await kubectlOk(kubeconfig, ['get', 'configmap', 'owner', '-n', ns.name, '-o', 'jsonpath={.metadata.uid}']);
    await kubectlOk(kubeconfig, ['create', '-n', ns.name, '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
    }));
    await kubectlOk(kubeconfig, ['delete', 'configmap', 'owner', '-n', ns.name]);
    await kubectlOk(kubeconfig, ['wait', '--for=delete', 'configmap/dependent', '-n', ns.name, '--timeout=60s']);
  });

  it('deletes namespaces with what is in them (the namespace controller is live)', async function () {
    const doomed = `${ns.name}-doomed`;
    await kubectlOk(kubeconfig, ['create', 'namespace', doomed]);
    await kubectlOk(kubeconfig, ['create', 'configmap', 'inside', '-n', doomed]);
    await kubectlOk(kubeconfig, ['delete', 'namespace', doomed, '--timeout=60s']);
    const gone = await kubectl(kubeconfig, ['get', 'namespace', doomed]);
    expect(gone.stderr).to.include('NotFound');
  });
});
