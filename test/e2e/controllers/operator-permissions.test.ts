// What config/rbac lets the operator's ServiceAccount do, asked of the real authorizer. (Every
// e2e test runs the operator as that ServiceAccount; least-privilege.after-all.ts checks that
// each permission was needed.)
import { expect } from 'chai';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectl } from '../../../harness/kubectl.ts';
import { operatorKubeconfig } from '../../support/least-privilege.ts';

describe('the operator with the permissions of config/rbac', function () {
  it('may bind admin, edit and view and no other ClusterRole, and reads no Secret outside its namespaces', async function () {
    const kubeconfig = await operatorKubeconfig(await sharedCluster());
    const canI = async (...args: string[]) => (await kubectl(kubeconfig, ['auth', 'can-i', ...args])).stdout.trim();
    // operatorKubeconfig returns once RBAC has taken config/rbac in.
    for (const role of ['admin', 'edit', 'view']) expect(await canI('bind', `clusterroles/${role}`), role).to.equal('yes');
    expect(await canI('bind', 'clusterroles/cluster-admin')).to.equal('no');
    expect(await canI('escalate', 'clusterroles')).to.equal('no');
    expect(await canI('get', 'secrets', '-n', 'default')).to.equal('no');
    // Re-encryption is kube-controller-manager's (StorageVersionMigration), not the operator's.
    expect(await canI('list', 'secrets', '--all-namespaces')).to.equal('no');
    expect(await canI('create', 'storageversionmigrations.storagemigration.k8s.io')).to.equal('yes');
    expect(await canI('get', 'secrets', '-n', 'palisade-system')).to.equal('yes');
    expect(await canI('create', 'pods', '-n', 'palisade-keys')).to.equal('no');
  });
});
