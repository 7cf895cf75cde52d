// Server-side apply on the real API server, and needsApply judged against what it returns,
// managedFields included.
import { expect } from 'chai';
import { apply, needsApply, type ApplyConfiguration } from '../../../src/runtime/apply.ts';
import { services } from '../../../src/kubernetes/resources.ts';
import type { KubeObject } from '../../../src/runtime/client.ts';
import { useClient } from '../../../harness/client.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';


describe('server-side apply', function () {
  const ns = useNamespace('apply');
  const api = useClient();

  const service = (labels: Record<string, string>, ports: { port: number; name: string }[]): ApplyConfiguration => ({
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: ns.name, labels },
    ...{ spec: { selector: { app: 'web' }, ports } },
  });

  it('needs no apply when the live object already holds what we want, server defaults and all', async function () {
    const desired = service({ team: 'a' }, [{ port: 80, name: 'http' }]);
    expect(needsApply(desired, undefined)).to.equal(true);
    const live = await apply(api.client, services, desired);
    expect(live).to.have.nested.property('spec.ports[0].protocol', 'TCP');
    expect(needsApply(desired, live)).to.equal(false);
  });

  it('needs an apply for a changed value, a new field, or a field we own but no longer want', async function () {
    const live = await apply(api.client, services, service({ team: 'a', tier: 'front' }, [{ port: 80, name: 'http' }]));
    expect(needsApply(service({ team: 'b', tier: 'front' }, [{ port: 80, name: 'http' }]), live), 'changed').to.equal(true);
    expect(needsApply(service({ team: 'a', tier: 'front' }, [{ port: 80, name: 'http' }, { port: 443, name: 'https' }]), live), 'added').to.equal(true);
    expect(needsApply(service({ team: 'a' }, [{ port: 80, name: 'http' }]), live), 'dropped').to.equal(true);

    const after = await apply(api.client, services, service({ team: 'a' }, [{ port: 80, name: 'http' }]));
    expect(after.metadata.labels).to.deep.equal({ team: 'a' });
  });

  it('ignores fields other managers own, and re-applies what they changed of ours', async function () {
    const desired = service({ team: 'a' }, [{ port: 80, name: 'http' }]);
    await apply(api.client, services, desired);
    await kubectlOk((await sharedCluster()).kubeconfig, ['label', 'service', 'web', '-n', ns.name, 'extra=theirs']);
    const live = await api.client.get<KubeObject>(services, 'web', ns.name);
    expect(needsApply(desired, live), 'a label of another manager').to.equal(false);

    await kubectlOk((await sharedCluster()).kubeconfig, ['label', 'service', 'web', '-n', ns.name, 'team=z', '--overwrite']);
    const drifted = await api.client.get<KubeObject>(services, 'web', ns.name);
    expect(needsApply(desired, drifted), 'our label changed by hand').to.equal(true);
  });
});
