// The NamespaceRingfence controller in the real operator process against the real control plane.
import { expect } from 'chai';
import { render } from '../../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';
import { httpGet, metric, writeRequests } from '../../../harness/operator.ts';
import { exposedNames, metricNamesUsed } from '../../support/prometheus.ts';

interface Status {
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  networkPolicies?: string[];
  roleBindings?: string[];
  missingNamespaces?: string[];
  planned?: { kind: string; name: string }[];
}

describe('NamespaceRingfence controller', function () {
  this.timeout(120_000);
  const ns = useNamespace('fence');
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=3']);

  const applyFence = (spec: NamespaceRingfenceSpec, name = 'fence') => kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-n', ns.name, '-f', '-'],
    JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name }, spec }));
  const getJson = async <T>(...args: string[]) => JSON.parse(await kubectlOk(suite.kubeconfig, ['get', ...args, '-n', ns.name, '-o', 'json'])) as T;
  const status = async (name = 'fence') => (await getJson<{ status?: Status; metadata: { generation: number } }>('namespaceringfence', name));
  const condition = async (type: string, name = 'fence') => (await status(name)).status?.conditions?.find((c) => c.type === type);
  const ready = (name = 'fence') => eventually(async () => {
    const fence = await status(name);
    expect(fence.status?.observedGeneration).to.equal(fence.metadata.generation);
    expect(fence.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
  }, 30_000);
  const names = async (kind: string) => (await getJson<{ items: { metadata: { name: string } }[] }>(kind, '-l', 'app.kubernetes.io/managed-by=palisade'))
    .items.map((item) => item.metadata.name).sort();

  const spec: NamespaceRingfenceSpec = {
    ingress: { from: [{ namespaces: ['ingress-nginx'], ports: [{ port: 8443 }] }] },
    egress: { to: [{ ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] },
    access: { editors: [{ kind: 'Group', name: 'devs' }], viewers: [{ kind: 'User', name: 'auditor' }] },
  };

  it('applies exactly the rendered NetworkPolicies and RoleBindings, and reports them', async function () {
    await applyFence(spec);
    await ready();
    const expected = render({ metadata: { name: 'fence', namespace: ns.name }, spec });
    for (const policy of expected.networkPolicies) {
      const live = await getJson<{ spec: unknown; metadata: { labels: Record<string, string>; ownerReferences: { kind: string }[] } }>('networkpolicy', policy.metadata.name);
      expect(live.spec, policy.metadata.name).to.deep.equal(policy.spec);
      expect(live.metadata.labels).to.deep.equal(policy.metadata.labels);
      expect(live.metadata.ownerReferences[0]?.kind).to.equal('NamespaceRingfence');
    }
    for (const binding of expected.roleBindings) {
      const live = await getJson<{ roleRef: unknown; subjects: unknown }>('rolebinding', binding.metadata.name);
      expect(live.roleRef).to.deep.equal(binding.roleRef);
      expect(live.subjects).to.deep.equal(binding.subjects);
    }
    expect(await names('networkpolicies')).to.deep.equal(expected.networkPolicies.map((p) => p.metadata.name).sort());
    expect(await names('rolebindings')).to.deep.equal(['palisade-editors', 'palisade-viewers']);
    const columns = await kubectlOk(suite.kubeconfig, ['get', 'ringfence', 'fence', '-n', ns.name]);
    expect(columns.split('\n')[1]).to.match(/^fence\s+Enforce\s+True\s+5\s+2\s+/);
  });

  it('exports the ringfence\'s readiness, and every metric config/prometheus uses, on /metrics', async function () {
    await applyFence(spec);
    await ready();
    const fence = { kind: 'NamespaceRingfence', namespace: ns.name, name: 'fence' };
    await eventually(async () => expect(await metric(suite.operator.port, 'palisade_object_ready', { ...fence, reason: 'Applied' })).to.equal(1), 10_000);
    const transition = Date.parse((await condition('Ready'))!.lastTransitionTime) / 1000;
    expect(await metric(suite.operator.port, 'palisade_object_ready_transition_timestamp_seconds', fence)).to.equal(transition);
    const { body } = await httpGet(suite.operator.port, '/metrics');
    expect(body).to.match(/^palisade_build_info\{version="[^"]+",commit="[^"]+",node_version="v24\.[^"]+",tested_kubernetes="[^"]*"\} 1$/m);
    expect(body).to.match(/^process_resident_memory_bytes [1-9]\d+$/m);
    const exported = exposedNames(body);
    const missing = [...metricNamesUsed()].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${[...new Set(where)].join(', ')})`);
    expect(missing, 'used by config/prometheus, not on the operator\'s /metrics').to.deep.equal([]);

    await kubectlOk(suite.kubeconfig, ['delete', 'namespaceringfence', 'fence', '-n', ns.name]);
    await eventually(async () => expect((await httpGet(suite.operator.port, '/metrics')).body).to.not.include(`namespace="${ns.name}"`), 10_000);
  });

  it('puts back an edited NetworkPolicy and a deleted RoleBinding, with an Event', async function () {
    await applyFence(spec);
    await ready();
    await kubectlOk(suite.kubeconfig, ['patch', 'networkpolicy', 'palisade-egress', '-n', ns.name, '--type=json',
      '-p', '[{"op":"replace","path":"/spec/egress/0/ports/0/port","value":80}]']);
    await kubectlOk(suite.kubeconfig, ['delete', 'rolebinding', 'palisade-viewers', '-n', ns.name]);
    await eventually(async () => {
      const egress = await getJson<{ spec: { egress: { ports: { port: number }[] }[] } }>('networkpolicy', 'palisade-egress');
      expect(egress.spec.egress[0]?.ports[0]?.port).to.equal(443);
      await kubectlOk(suite.kubeconfig, ['get', 'rolebinding', 'palisade-viewers', '-n', ns.name]);
    }, 30_000);
    const events = await kubectlOk(suite.kubeconfig, ['get', 'events.events.k8s.io', '-n', ns.name, '-o', 'jsonpath={range .items[*]}{.reason}:{.note}{"\\n"}{end}']);
    expect(events).to.include('DriftReverted:NetworkPolicy palisade-egress was changed outside Palisade; put back');
    expect(events).to.include('DriftReverted:RoleBinding palisade-viewers was deleted outside Palisade; put back');
  });

  it('puts back a generated object\'s label and ownerReference that a hand changed (its cache selects by that label)', async function () {
    await applyFence(spec);
    await ready();
    await kubectlOk(suite.kubeconfig, ['label', 'networkpolicy', 'palisade-dns', '-n', ns.name, '--overwrite', 'app.kubernetes.io/managed-by=someone-else']);
    await kubectlOk(suite.kubeconfig, ['patch', 'rolebinding', 'palisade-editors', '-n', ns.name, '--type=json', '-p', '[{"op":"remove","path":"/metadata/ownerReferences"}]']);
    type Meta = { metadata: { labels?: Record<string, string>; ownerReferences?: { name: string }[] } };
    await eventually(async () => {
      expect((await getJson<Meta>('networkpolicy', 'palisade-dns')).metadata.labels?.['app.kubernetes.io/managed-by']).to.equal('palisade');
      expect((await getJson<Meta>('rolebinding', 'palisade-editors')).metadata.ownerReferences?.map((o) => o.name)).to.deep.equal(['fence']);
    }, 60_000);
  });

  it('counts a repeated drift in the first Event\'s series rather than recording it again', async function () {
    this.timeout(180_000);
    await applyFence(spec);
    await ready();
    // Each edit by someone else: one manager taking the same field back again and again is a
    // fight, which Palisade backs off from (podsecuritybaseline.test.ts shows that case).
    const editPort = (port: number) => kubectlOk(suite.kubeconfig, ['patch', 'networkpolicy', 'palisade-egress', '-n', ns.name, '--type=json',
      `--field-manager=editor-${port}`, '-p', `[{"op":"replace","path":"/spec/egress/0/ports/0/port","value":${port}}]`]);
    const driftEvents = async () => (await getJson<{ items: { reason: string; series?: { count: number } }[] }>('events.events.k8s.io')).items
      .filter((event) => event.reason === 'DriftReverted');
    await editPort(80);
    await eventually(async () => expect(await driftEvents()).to.have.length(1), 30_000);
    const first = Date.now();
    await editPort(81);
    await eventually(async () => expect((await getJson<{ spec: { egress: { ports: { port: number }[] }[] } }>('networkpolicy', 'palisade-egress')).spec.egress[0]?.ports[0]?.port).to.equal(443), 30_000);
    // The series is written at most once a minute: the third edit, a minute on, carries the count.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first + 61_000 - Date.now())));
    await editPort(82);
    await eventually(async () => {
      const events = await driftEvents();
      expect(events).to.have.length(1);
      expect(events[0]?.series?.count).to.equal(3);
    }, 30_000);
  });

  it('updates in place when the spec changes, and removes what is no longer wanted', async function () {
    await applyFence(spec);
    await ready();
    const uid = (await getJson<{ metadata: { uid: string } }>('networkpolicy', 'palisade-egress')).metadata.uid;
    const before = await names('networkpolicies');
    await applyFence({ ...spec, egress: { dns: { enabled: false }, to: [{ ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 8443 }] }] }, access: { editors: [{ kind: 'Group', name: 'devs' }] } });
    await ready();
    const egress = await getJson<{ metadata: { uid: string }; spec: { egress: { ports: { port: number }[] }[] } }>('networkpolicy', 'palisade-egress');
    expect(egress.metadata.uid).to.equal(uid);
    expect(egress.spec.egress[0]?.ports[0]?.port).to.equal(8443);
    await eventually(async () => {
      expect(await names('rolebindings')).to.deep.equal(['palisade-editors']);
      expect(await names('networkpolicies')).to.deep.equal(before.filter((name) => name !== 'palisade-dns'));
    });
  });

  it('removes everything it generated when deleted', async function () {
    await applyFence(spec);
    await ready();
    await kubectlOk(suite.kubeconfig, ['delete', 'ringfence', 'fence', '-n', ns.name]);
    await eventually(async () => {
      expect(await names('networkpolicies')).to.deep.equal([]);
      expect(await names('rolebindings')).to.deep.equal([]);
    }, 60_000);
  });

  it('reports Conflict on a second ringfence in the namespace and generates nothing for it', async function () {
    await applyFence({});
    await ready();
    await applyFence({ egress: { dns: { enabled: false } } }, 'second');
    await eventually(async () => expect(await condition('Ready', 'second')).to.include({ status: 'False', reason: 'Conflict' }), 30_000);
    expect((await condition('Ready'))?.status).to.equal('True');
    const dns = await kubectl(suite.kubeconfig, ['get', 'networkpolicy', 'palisade-dns', '-n', ns.name]);
    expect(dns.code, 'the first ringfence still has its DNS policy').to.equal(0);
  });

  it('creates nothing in DryRun and lists what Enforce would apply', async function () {
    await applyFence({ ...spec, mode: 'DryRun' });
    await ready();
    const { status: dry } = await status();
    expect(dry?.planned?.map((p) => `${p.kind}/${p.name}`)).to.include.members(['NetworkPolicy/palisade-default-deny', 'RoleBinding/palisade-editors']);
    expect(await names('networkpolicies')).to.deep.equal([]);
    expect(await names('rolebindings')).to.deep.equal([]);
  });

  it('keeps the rule for a peer namespace that does not exist yet, and names it in status until it does', async function () {
    const peer = `${ns.name}-later`;
    await applyFence({ ingress: { from: [{ namespaces: [peer] }] } });
    await ready();
    expect((await status()).status?.missingNamespaces).to.deep.equal([peer]);
    const ingress = await getJson<{ spec: { ingress: { from: { namespaceSelector: { matchExpressions: { values: string[] }[] } }[] }[] } }>('networkpolicy', 'palisade-ingress');
    expect(ingress.spec.ingress[0]?.from[0]?.namespaceSelector.matchExpressions[0]?.values).to.deep.equal([peer]);
    await kubectlOk(suite.kubeconfig, ['create', 'namespace', peer]);
    await eventually(async () => expect((await status()).status?.missingNamespaces).to.deep.equal([]), 30_000);
    await kubectlOk(suite.kubeconfig, ['delete', 'namespace', peer, '--wait=false']);
  });

  it('reports other RoleBindings that grant access outside the ringfence as AccessDrift, and deletes none', async function () {
    await applyFence(spec);
    await ready();
    expect(await condition('AccessDrift')).to.include({ status: 'False' });
    await kubectlOk(suite.kubeconfig, ['create', 'rolebinding', 'backdoor', '--clusterrole=admin', '--user=mallory', '-n', ns.name]);
    await eventually(async () => expect(await condition('AccessDrift')).to.include({
      status: 'True', reason: 'ForeignBindings', message: 'RoleBinding backdoor grants ClusterRole admin to User/mallory',
    }), 30_000);
    await kubectlOk(suite.kubeconfig, ['get', 'rolebinding', 'backdoor', '-n', ns.name]);
  });

  it('writes each object and the status once, and nothing when a resync finds everything in place', async function () {
    const writesBefore = await writeRequests(suite.operator.port);
    await applyFence(spec);
    await ready();
    const reconciles = () => suite.operator.logs.filter((line) => line.message === 'reconciled' && line.namespace === ns.name).length;
    // Not twice: a reconcile started by the echo of its own first writes sees them all (Informer.assume).
    const { networkPolicies, roleBindings } = render({ metadata: { name: 'fence', namespace: ns.name }, spec });
    await eventually(() => expect(reconciles()).to.be.at.least(2), 20_000);
    const writes = await writeRequests(suite.operator.port);
    expect(writes - writesBefore).to.equal(networkPolicies.length + roleBindings.length + 1);
    const before = reconciles();
    await eventually(() => expect(reconciles()).to.be.at.least(before + 2), 20_000);
    expect(await writeRequests(suite.operator.port)).to.equal(writes);
  });
});
