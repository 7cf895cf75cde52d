// Palisade is no path to privilege escalation: the ValidatingAdmissionPolicy in config/admission
// makes the real API server refuse a ringfence that adds subjects to a role its requester may not bind.
import { expect } from 'chai';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../support/crds.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../support/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';

const config = (base: string) => new URL(`../../../config/${base}/`, import.meta.url).pathname;

describe('ringfence access policy (ValidatingAdmissionPolicy)', function () {
  this.timeout(120_000);
  const ns = useNamespace('escalation');
  let admin: string;
  let eve: string;

  before(async function () {
    this.timeout(600_000);
    const cluster = await sharedCluster();
    admin = cluster.kubeconfig;
    await installCrds(admin);
    await kubectlOk(admin, ['apply', '--server-side', '-k', config('admission')]);
    await kubectlOk(admin, ['apply', '--server-side', '-k', config('rbac')]);
    eve = await cluster.userKubeconfig('eve', ['payments-devs']);
  });

  const fence = (as: string, spec: NamespaceRingfenceSpec, ...flags: string[]) => kubectl(as, ['apply', '--server-side', ...flags, '-n', ns.name, '-f', '-'],
    JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence' }, spec }));
  const admins = { admins: [{ kind: 'User' as const, name: 'eve' }] };

  it('lets an editor of the namespace manage its ringfence, but not add subjects to admin, edit or view', async function () {
    await kubectlOk(admin, ['create', 'rolebinding', 'eve-edit', '--clusterrole=edit', '--user=eve', '-n', ns.name]);
    await eventually(async () => expect((await fence(eve, {})).code).to.equal(0));
    // Dry runs until the new policy is in force: a real apply that got through first would persist
    // the subjects, and every later apply would then leave spec.access unchanged.
    await eventually(async () => {
      const refused = await fence(eve, { access: admins }, '--dry-run=server');
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.include(`spec.access.admins: adding subjects needs the bind verb on ClusterRole admin in namespace ${ns.name}`);
    });
    expect((await fence(eve, { access: admins })).code, 'for real').to.not.equal(0);
    const viewers = await fence(eve, { access: { viewers: [{ kind: 'Group', name: 'auditors' }] } });
    expect(viewers.stderr).to.include('spec.access.viewers: adding subjects needs the bind verb on ClusterRole view');
  });

  it('allows whoever may bind the ClusterRole, and never blocks removing subjects or other edits', async function () {
    await kubectlOk(admin, ['create', 'rolebinding', 'eve-edit', '--clusterrole=edit', '--user=eve', '-n', ns.name]);
    await kubectlOk(admin, ['create', 'role', 'bind-view', '--verb=bind', '--resource=clusterroles', '--resource-name=view', '-n', ns.name]);
    await kubectlOk(admin, ['create', 'rolebinding', 'eve-bind-view', '--role=bind-view', '--user=eve', '-n', ns.name]);
    await eventually(async () => expect((await fence(eve, { access: { viewers: [{ kind: 'Group', name: 'auditors' }] } })).code).to.equal(0));

    const everyRole = { ...admins, editors: [{ kind: 'Group' as const, name: 'devs' }], viewers: [{ kind: 'Group' as const, name: 'auditors' }] };
    const byAdmin = await fence(admin, { access: everyRole });
    expect(byAdmin.stderr, 'a cluster admin, adding to all three roles at once').to.equal('');
    expect((await fence(admin, { access: { ...admins, viewers: [{ kind: 'Group', name: 'auditors' }] } })).code, 'a cluster admin').to.equal(0);
    expect((await fence(eve, { mode: 'DryRun', access: { ...admins, viewers: [{ kind: 'Group', name: 'auditors' }] } })).code, 'access unchanged').to.equal(0);
    expect((await fence(eve, { mode: 'DryRun', access: { viewers: [{ kind: 'Group', name: 'auditors' }] } })).code, 'admins removed').to.equal(0);
  });
});
