// The informer against the real API server: paged lists, watch events, UID identity, the relist
// after a watch resumes from a compacted resourceVersion, and how soon it is back after an
// apiserver restarts.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { isGone, type KubeClient, type KubeObject, type Resource } from '../../../src/runtime/client.ts';
import { Informer, type InformerEvent } from '../../../src/runtime/informer.ts';
import { ControlPlane, type ApiServer } from '../../../harness/control-plane/control-plane.ts';
import { clientFor, useClient } from '../../../harness/client.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';

const configMaps: Resource = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };

function record(informer: Informer) {
  const events: string[] = [];
  informer.onEvent((event: InformerEvent<KubeObject>) => events.push(`${event.type} ${event.object.metadata.name}`));
  return events;
}

async function createConfigMaps(kubeconfig: string, namespace: string, names: string[], labels: Record<string, string> = {}) {
  await kubectlOk(kubeconfig, ['apply', '-n', namespace, '-f', '-'], names.map((name) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '1' } })).join('\n'));
}

describe('Informer', function () {
  this.timeout(120_000);
  const ns = useNamespace('informer');
  let kubeconfig: string;
  const api = useClient();
  let informer: Informer | undefined;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  afterEach(async function () {
    await informer?.stop();
  });

  it('lists page by page, then follows adds, updates, deletes and a re-create as a new object', async function () {
    await createConfigMaps(kubeconfig, ns.name, ['a', 'b', 'c', 'd', 'e']);
    informer = new Informer(api.client, { resource: configMaps, namespace: ns.name, pageSize: 2 });
    const events = record(informer);
    informer.start();
    await eventually(() => expect(informer?.hasSynced).to.equal(true));
    expect(events.filter((e) => e !== 'add kube-root-ca.crt').sort()).to.deep.equal(['add a', 'add b', 'add c', 'add d', 'add e']);

    events.length = 0;
    const oldUid = informer.get('a', ns.name)?.metadata.uid;
    await kubectlOk(kubeconfig, ['label', 'configmap', 'b', '-n', ns.name, 'touched=yes']);
    await kubectlOk(kubeconfig, ['delete', 'configmap', 'c', '-n', ns.name]);
    await kubectlOk(kubeconfig, ['delete', 'configmap', 'a', '-n', ns.name]);
    await createConfigMaps(kubeconfig, ns.name, ['a']);
    await eventually(() => expect(events).to.deep.equal(['update b', 'delete c', 'delete a', 'add a']));
    expect(informer.get('a', ns.name)?.metadata.uid).to.not.equal(oldUid);
    expect(informer.get('b', ns.name)?.metadata.labels).to.deep.equal({ touched: 'yes' });
    expect(informer.get('c', ns.name)).to.equal(undefined);
  });

  it('restarts a watch that has gone silent, without a relist', async function () {
    const watches: number[] = [];
    const quiet = await clientFor(kubeconfig, { observe: (verb) => verb === 'watch' && watches.push(Date.now()) });
    let relists = 0;
    informer = new Informer(quiet, { resource: configMaps, namespace: ns.name, silenceMs: 300, observer: { relisted: () => relists++ } });
    informer.start();
    await eventually(() => expect(watches.length).to.be.at.least(5), 20_000);
    expect(relists).to.equal(1);
    await createConfigMaps(kubeconfig, ns.name, ['after-restarts']);
    await eventually(() => expect(informer?.get('after-restarts', ns.name)).to.not.equal(undefined));
    await informer.stop();
    await quiet.close();
  });

  it('filters by label selector', async function () {
    await createConfigMaps(kubeconfig, ns.name, ['in', 'out']);
    await kubectlOk(kubeconfig, ['label', 'configmap', 'in', '-n', ns.name, 'pick=me']);
    informer = new Informer(api.client, { resource: configMaps, namespace: ns.name, labelSelector: 'pick=me' });
    informer.start();
    await eventually(() => expect(informer?.hasSynced).to.equal(true));
    expect(informer.list().map((o) => o.metadata.name)).to.deep.equal(['in']);
  });

  it('filters by field selector', async function () {
    await createConfigMaps(kubeconfig, ns.name, ['wanted', 'other']);
    informer = new Informer(api.client, { resource: configMaps, namespace: ns.name, fieldSelector: 'metadata.name=wanted' });
    informer.start();
    await eventually(() => expect(informer?.hasSynced).to.equal(true));
    expect(informer.list().map((o) => o.metadata.name)).to.deep.equal(['wanted']);
  });
});

describe('Informer across an apiserver outage', function () {
  this.timeout(300_000);
  let plane: ControlPlane;
  /** The apiserver the informers watch, stopped and started again while the first one serves kubectl. */
  let second: ApiServer;
  let client: KubeClient | undefined;
  let informer: Informer | undefined;

  before(async function () {
    plane = await ControlPlane.start();
    second = await plane.addApiServer({ address: '127.0.0.2' });
  });

  afterEach(async function () {
    await informer?.stop();
    await client?.close();
  });

  after(async function () {
    await plane?.stop();
  });

  it('relists from a compacted resourceVersion, emitting deletes for the gap and no update for unchanged objects', async function () {
    client = await clientFor(plane.kubeconfig, { server: second.url });
    const mine = { test: 'gap' };
    await createConfigMaps(plane.kubeconfig, 'default', ['keep', 'gone', 'changed'], mine);
    let relists = 0;
    informer = new Informer(client, {
      resource: configMaps, namespace: 'default', labelSelector: 'test=gap',
      backoff: { initialMs: 200, maxMs: 1000 }, observer: { relisted: () => relists++ },
    });
    const events = record(informer);
    informer.start();
    await eventually(() => expect(informer?.hasSynced).to.equal(true));
    events.length = 0;

    await second.process.stop();
    await kubectlOk(plane.kubeconfig, ['delete', 'configmap', 'gone']);
    await kubectlOk(plane.kubeconfig, ['label', 'configmap', 'changed', 'new=label']);
    await createConfigMaps(plane.kubeconfig, 'default', ['born'], mine);
    await plane.compactEtcd();
    await plane.startApiServer(second);

    await eventually(() => expect([...events].sort()).to.deep.equal(['add born', 'delete gone', 'update changed']), 60_000);
    expect(informer.get('keep', 'default')).to.not.equal(undefined);
    expect(relists, 'the first list and the one after 410 Gone').to.equal(2);
  });

  it('delivers again within 3 s of a restarted apiserver\'s /readyz, relisting at once on its 410 Gone', async function () {
    // A least-privilege user, so that RBAC decides (a restarted apiserver refuses it while its
    // authorizer's cache fills), not system:masters.
    await kubectlOk(plane.kubeconfig, ['create', 'rolebinding', 'informer-reader', '--clusterrole=view', '--user=informer-reader', '-n', 'default']);
    const watches: number[] = [];
    client = await clientFor(await plane.userKubeconfig('informer-reader'), {
      server: second.url, observe: (verb) => verb === 'watch' && watches.push(performance.now()),
    });
    const relists: number[] = [];
    const failures: unknown[] = [];
    informer = new Informer(client, {
      resource: configMaps, namespace: 'default', labelSelector: 'test=restart',
      // The operator's initial backoff, capped lower: what the informer sleeps through while the
      // apiserver is down (up to the cap, as client-go's) stays within the bound.
      backoff: { initialMs: 500, maxMs: 2_000 },
      observer: { relisted: () => relists.push(performance.now()), failed: (error) => failures.push(error) },
    });
    informer.start();
    await eventually(() => expect(informer?.hasSynced).to.equal(true));

    await second.process.stop();
    // The cluster moves on meanwhile: the restarted apiserver's watch cache starts past the informer's resourceVersion.
    await createConfigMaps(plane.kubeconfig, 'default', ['during-outage'], { test: 'restart' });
    // Down long enough for the refused watches to grow the backoff to its cap.
    await sleep(3_000);
    await plane.startApiServer(second);
    const ready = performance.now();
    await createConfigMaps(plane.kubeconfig, 'default', ['after-restart'], { test: 'restart' });
    await eventually(() => expect(informer?.get('after-restart', 'default')).to.not.equal(undefined), 30_000, 20);

    expect(performance.now() - ready, 'ms from /readyz to the event').to.be.below(3_000);
    expect(informer.get('during-outage', 'default')).to.not.equal(undefined);
    expect(relists, 'the first list and the one after 410 Gone').to.have.length(2);
    const gone = watches.filter((at) => at < relists[1]!).at(-1)!;
    expect(relists[1]! - gone, 'ms from the watch answered 410 to the relist').to.be.below(500);
    expect(failures.filter(isGone), 'a 410 is no failure').to.deep.equal([]);
  });
});
