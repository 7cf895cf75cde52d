// Events about an object, in events.k8s.io/v1, with repeats folded into one.
import { expect } from 'chai';
import type { KubeObject } from '../../../src/runtime/client.ts';
import { EventRecorder } from '../../../src/runtime/events.ts';
import { useClient } from '../../../harness/client.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';

describe('EventRecorder', function () {
  const ns = useNamespace('events');
  let kubeconfig: string;
  const api = useClient();

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  it('records an event about an object once, however often it repeats', async function () {
    await kubectlOk(kubeconfig, ['create', 'configmap', 'subject', '-n', ns.name]);
    const subject = JSON.parse(await kubectlOk(kubeconfig, ['get', 'configmap', 'subject', '-n', ns.name, '-o', 'json'])) as KubeObject;
    const recorder = new EventRecorder(api.client, 'palisade.dev/test', 'test-instance', () => new Date());
    for (let i = 0; i < 5; i++) await recorder.record(subject, 'Warning', 'DriftReverted', 'Apply', 'NetworkPolicy default-deny was edited; put back');

    const events = JSON.parse(await kubectlOk(kubeconfig, ['get', 'events.events.k8s.io', '-n', ns.name, '-o', 'json'])) as {
      items: { reason: string; note: string; type: string; reportingController: string; regarding: { name: string; uid: string } }[];
    };
    const ours = events.items.filter((event) => event.reportingController === 'palisade.dev/test');
    expect(ours).to.have.length(1);
    expect(ours[0]).to.deep.include({ reason: 'DriftReverted', type: 'Warning', note: 'NetworkPolicy default-deny was edited; put back' });
    expect(ours[0]?.regarding).to.include({ name: 'subject', uid: subject.metadata.uid });
    const described = await kubectlOk(kubeconfig, ['describe', 'configmap', 'subject', '-n', ns.name]);
    expect(described).to.include('DriftReverted');
  });
});
