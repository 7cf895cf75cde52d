// The ClusterRingfence controller in the real operator process against the real control plane,
// with the ClusterNetworkPolicy CRDs of sigs.k8s.io/network-policy-api v0.3.0 installed: what it
// generates passes their schema and CEL rules, in both served versions. And on a control plane
// without them: Unsupported, and nothing else, until they come; and again once they go.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ClusterRingfenceSpec } from '../../../src/api/clusterringfence.ts';
import { render, type SelectedNamespace } from '../../../src/controllers/clusterringfence/render.ts';
import { RECHECK_MS, ServedApi } from '../../../src/controllers/clusterringfence/served-api.ts';
import { clientFor } from '../../../harness/client.ts';
import { ControlPlane } from '../../../harness/control-plane/control-plane.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { installCrds } from '../../../harness/crds.ts';
import { installClusterNetworkPolicyCrds, removeClusterNetworkPolicyCrds } from '../../../harness/network-policy-api.ts';
import { httpGet, stopOperator } from '../../../harness/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { keepOperatorRequests, OPERATOR_USER, startPalisadeOperator } from '../../support/least-privilege.ts';
import { createNamespace } from '../../support/namespace.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';

interface Status {
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string }[];
  [field: string]: unknown;
}
type Live = { metadata: { name: string; generation: number; labels: Record<string, string>; ownerReferences?: { kind: string; name: string }[] }; spec: unknown };

const BAND = { first: 100, last: 399 };
const V1BETA1 = 'policy.networking.k8s.io/v1beta1';

/** A ClusterRingfence's client: apply, status, and the ClusterNetworkPolicies it made. */
function ringfenceClient(kubeconfig: () => string) {
  const getJson = async <T>(...args: string[]) => JSON.parse(await kubectlOk(kubeconfig(), ['get', ...args, '-o', 'json'])) as T;
  return {
    getJson,
    apply: (name: string, spec: ClusterRingfenceSpec) => kubectlOk(kubeconfig(), ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', metadata: { name }, spec })),
    object: (name: string) => getJson<{ metadata: { generation: number; uid: string }; status?: Status }>('clusterringfence', name),
    policies: async (name: string) => (await getJson<{ items: Live[] }>('clusternetworkpolicies', '-l', `palisade.dev/clusterringfence=${name}`)).items,
    ready: (name: string, reason = 'Applied') => eventually(async () => {
      const { metadata, status } = await getJson<{ metadata: { generation: number }; status?: Status }>('clusterringfence', name);
      expect(status?.observedGeneration).to.equal(metadata.generation);
      expect(status?.conditions?.find((c) => c.type === 'Ready'), JSON.stringify(status)).to.include({ reason });
      return status!;
    }, 30_000),
  };
}

describe('ClusterRingfence controller', function () {
  this.timeout(120_000);
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=3'], installClusterNetworkPolicyCrds);
  const client = ringfenceClient(() => suite.kubeconfig);
  // A label of this run only: no namespace of another suite is selected.
  const run = randomBytes(3).toString('hex');
  const selector = { matchLabels: { 'crf-test': run } };
  const namespaces: SelectedNamespace[] = [
    { name: `crf-a1-${run}`, labels: { 'crf-test': run, team: 'a' } },
    { name: `crf-a2-${run}`, labels: { 'crf-test': run, team: 'a' } },
    { name: `crf-b-${run}`, labels: { 'crf-test': run } },
  ];
  const spec: ClusterRingfenceSpec = {
    namespaceSelector: selector, tenantLabel: 'team', priority: 7,
    guardrails: {
      isolateTenants: true, dns: { resolvers: ['169.254.20.10/32'] },
      allow: {
        from: [{ namespaces: ['monitoring'], podSelector: { matchLabels: { app: 'prometheus' } }, ports: [{ port: 9090 }, { port: 9100, endPort: 9200 }] }],
        to: [{ ipBlock: { cidr: '10.96.0.0/12' }, ports: [{ port: 443 }, { port: 53, protocol: 'UDP' }] }, { namespaceSelector: { matchLabels: { shared: 'true' } } }],
      },
    },
    defaults: { denyAll: true },
  };

  before(async function () {
    for (const { name, labels } of namespaces) await createNamespace(suite.kubeconfig, name, labels);
  });
  after(async function () {
    await kubectl(suite.kubeconfig, ['delete', 'clusterringfence', '--all', '--wait=true']);
    for (const { name } of namespaces) await kubectl(suite.kubeconfig, ['delete', 'namespace', name, '--wait=false']);
  });

  it('applies exactly the rendered ClusterNetworkPolicies, accepted by their CRD, and reports what it covers', async function () {
    await client.apply('tenants', spec);
    const status = await client.ready('tenants');
    const { uid } = (await client.object('tenants')).metadata;
    const expected = render({ metadata: { name: 'tenants', uid }, spec }, namespaces, V1BETA1, BAND).policies;
    const live = await client.policies('tenants');
    expect(live.map((p) => p.metadata.name).sort()).to.deep.equal(expected.map((p) => p.metadata.name).sort());
    for (const policy of expected) {
      const found = live.find((p) => p.metadata.name === policy.metadata.name)!;
      expect(found.spec, policy.metadata.name).to.deep.equal(policy.spec);
      expect(found.metadata.labels).to.deep.equal(policy.metadata.labels);
      expect(found.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).to.deep.equal(['ClusterRingfence/tenants']);
    }
    expect(status).to.deep.include({
      apiVersion: V1BETA1, adminPriorities: '128-131', baselinePriority: 107, namespaceCount: 3, tenantCount: 2, policyCount: 6,
    });
    const [header = '', row = ''] = (await kubectlOk(suite.kubeconfig, ['get', 'crf', 'tenants'])).split('\n');
    expect(header).to.match(/^NAME\s+MODE\s+READY\s+NAMESPACES\s+TENANTS\s+POLICIES\s+PRIORITIES\s+AGE$/);
    expect(row).to.match(/^tenants\s+Enforce\s+True\s+3\s+2\s+6\s+128-131\s+/);
  });

  it('finds v1beta1 by discovery, one answer for callers at the same time', async function () {
    const kube = await clientFor(suite.kubeconfig);
    try {
      const served = new ServedApi(kube, () => new Date());
      expect((await Promise.all([served.resolve(), served.resolve(), served.resolve()])).map((r) => r?.version)).to.deep.equal(['v1beta1', 'v1beta1', 'v1beta1']);
    } finally {
      await kube.close();
    }
  });

  it('writes policies that v1alpha2, still served, accepts as they are', async function () {
    const { uid } = (await client.object('tenants')).metadata;
    for (const policy of render({ metadata: { name: 'tenants', uid }, spec }, namespaces, 'policy.networking.k8s.io/v1alpha2', BAND).policies) {
      const out = await kubectlOk(suite.kubeconfig, ['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-f', '-'], JSON.stringify(policy));
      expect(out, policy.metadata.name).to.match(/serverside-applied \(server dry run\)/);
    }
  });

  it('follows the namespaces: a new tenant gets its policy, one relabelled loses it', async function () {
    const added = `crf-c-${run}`;
    await createNamespace(suite.kubeconfig, added, { 'crf-test': run, team: 'c' });
    try {
      await eventually(async () => {
        expect((await client.policies('tenants')).map((p) => p.metadata.name)).to.include('palisade-tenants-tenant-t-c-2e7d2c03');
        expect((await client.object('tenants')).status).to.include({ namespaceCount: 4, tenantCount: 3 });
      }, 30_000);
      await kubectlOk(suite.kubeconfig, ['label', 'namespace', added, 'crf-test-']);
      await eventually(async () => expect((await client.policies('tenants')).map((p) => p.metadata.name)).to.not.include('palisade-tenants-tenant-t-c-2e7d2c03'), 30_000);
    } finally {
      await kubectl(suite.kubeconfig, ['delete', 'namespace', added, '--wait=false']);
    }
  });

  it('puts back an edited and a deleted ClusterNetworkPolicy, with an Event', async function () {
    await client.ready('tenants');
    await kubectlOk(suite.kubeconfig, ['patch', 'clusternetworkpolicy', 'palisade-tenants-isolation', '--type=merge', '-p', '{"spec":{"priority":999}}']);
    await kubectlOk(suite.kubeconfig, ['delete', 'clusternetworkpolicy', 'palisade-tenants-baseline']);
    await eventually(async () => {
      const policies = await client.policies('tenants');
      expect(policies.find((p) => p.metadata.name === 'palisade-tenants-isolation')?.spec).to.deep.include({ priority: 131 });
      expect(policies.map((p) => p.metadata.name)).to.include('palisade-tenants-baseline');
    }, 30_000);
    const events = await kubectlOk(suite.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '--field-selector', 'regarding.name=tenants',
      '-o', 'jsonpath={range .items[*]}{.reason}:{.note}{"\\n"}{end}']);
    expect(events).to.include('DriftReverted:ClusterNetworkPolicy palisade-tenants-isolation was changed outside Palisade; put back');
    expect(events).to.include('DriftReverted:ClusterNetworkPolicy palisade-tenants-baseline was deleted outside Palisade; put back');
  });

  it('updates in place, and in DryRun lists what it would apply and removes what it applied', async function () {
    const before = Object.fromEntries((await client.policies('tenants')).map((p) => [p.metadata.name, p.metadata]));
    await client.apply('tenants', { ...spec, defaults: { denyAll: false } });
    await client.ready('tenants');
    const after = await client.policies('tenants');
    expect(after.map((p) => p.metadata.name)).to.not.include('palisade-tenants-baseline');
    const guardrails = after.find((p) => p.metadata.name === 'palisade-tenants-guardrails')!;
    expect(guardrails.metadata.generation).to.equal(before['palisade-tenants-guardrails']!.generation);

    await client.apply('tenants', { ...spec, mode: 'DryRun' });
    const status = await client.ready('tenants', 'DryRun');
    expect(await client.policies('tenants')).to.deep.equal([]);
    expect((status.planned as { name: string }[]).map((p) => p.name)).to.include.members(['palisade-tenants-guardrails', 'palisade-tenants-isolation', 'palisade-tenants-baseline']);
  });

  it('lets only who may write ClusterNetworkPolicies themselves create or change a ClusterRingfence (config/admission)', async function () {
    await kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-k', new URL('../../../config/admission', import.meta.url).pathname]);
    const user = `crf-author-${run}`;
    const role = (name: string, rules: unknown[]) => kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'User', name: user }] },
      ],
    }));
    const roles = [`${user}-ringfences`, `${user}-policies`];
    try {
      await role(roles[0]!, [{ apiGroups: ['palisade.dev'], resources: ['clusterringfences'], verbs: ['get', 'create', 'patch'] }]);
      const author = await (await sharedCluster()).userKubeconfig(user);
      const apply = () => kubectl(author, ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', metadata: { name: 'authored' }, spec: { namespaceSelector: selector, priority: 9 } }));
      await eventually(async () => {
        const refused = await apply();
        expect(refused.code).to.not.equal(0);
        expect(refused.stderr).to.contain('a ClusterRingfence makes Palisade create, patch and delete ClusterNetworkPolicies, and you may not create them');
      }, 30_000);
      await role(roles[1]!, [{ apiGroups: ['policy.networking.k8s.io'], resources: ['clusternetworkpolicies'], verbs: ['create', 'patch', 'delete'] }]);
      await eventually(async () => expect((await apply()).code).to.equal(0), 30_000);
      await client.ready('authored');
    } finally {
      await kubectl(suite.kubeconfig, ['delete', 'clusterringfence', 'authored', '--ignore-not-found']);
      for (const name of roles) await kubectl(suite.kubeconfig, ['delete', 'clusterrole,clusterrolebinding', name, '--ignore-not-found']);
    }
  });

  it('gives a priority slot to the older ringfence: the younger reports Conflict until the slot is free', async function () {
    await client.apply('tenants', spec);
    await client.ready('tenants');
    await client.apply('late', { namespaceSelector: selector, priority: 7 });
    const conflict = await client.ready('late', 'Conflict');
    expect(conflict.conditions?.find((c) => c.type === 'Ready')?.message).to.equal('priority slot 7 is taken by ClusterRingfence tenants; this one generates nothing');
    expect(await client.policies('late')).to.deep.equal([]);
    await kubectlOk(suite.kubeconfig, ['delete', 'clusterringfence', 'tenants']);
    await client.ready('late');
    // Deleting a ringfence takes its policies along (their ownerReferences).
    await eventually(async () => expect(await client.policies('tenants')).to.deep.equal([]), 60_000);
    await kubectlOk(suite.kubeconfig, ['delete', 'clusterringfence', 'late']);
  });
});

describe('ClusterRingfence on a control plane without ClusterNetworkPolicy', function () {
  this.timeout(180_000);
  let plane: ControlPlane;
  const client = ringfenceClient(() => plane.kubeconfig);

  before(async function () {
    this.timeout(600_000);
    plane = await ControlPlane.start({ auditedUsers: [OPERATOR_USER] });
    await installCrds(plane.kubeconfig);
  });
  after(async function () {
    if (!plane) return;
    await keepOperatorRequests(plane);
    await plane.stop();
  });

  it('reports Unsupported, naming what to install, writes nothing else, and applies once the CRDs come; a slot past the band is InvalidSpec', async function () {
    // A band of two slots: a third is a spec this operator cannot carry out.
    const operator = await startPalisadeOperator(plane, ['--leader-elect=false', '--cluster-network-policy-priorities=100-107']);
    try {
      await client.apply('guard', { namespaceSelector: { matchLabels: { tenant: 'true' } } });
      const status = await client.ready('guard', 'Unsupported');
      expect(status.conditions?.find((c) => c.type === 'Ready')?.message).to.include('install the CRDs of sigs.k8s.io/network-policy-api v0.3.0');
      expect(status).to.not.have.property('apiVersion');
      const events = await kubectlOk(plane.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
      expect(events.trim().split('\n')).to.deep.equal(['Unsupported']);

      // Discovery's own answer, and how long a negative one holds (the clock is the served API's to take).
      const kube = await clientFor(plane.kubeconfig);
      let now = Date.now();
      const served = new ServedApi(kube, () => new Date(now));
      expect(await served.resolve()).to.equal(undefined);
      await installClusterNetworkPolicyCrds(plane.kubeconfig);
      expect(await served.resolve(), 'within the recheck interval').to.equal(undefined);
      now += RECHECK_MS;
      expect((await served.resolve())?.version).to.equal('v1beta1');
      await kube.close();
      // Discovery is asked again every 30 seconds.
      const applied = await eventually(() => client.ready('guard'), 90_000);
      expect(applied).to.include({ apiVersion: V1BETA1, policyCount: 1 });
      expect((await client.policies('guard')).map((p) => p.metadata.name)).to.deep.equal(['palisade-guard-guardrails']);

      await client.apply('past-band', { namespaceSelector: { matchLabels: { tenant: 'true' } }, priority: 2 });
      const invalid = await client.ready('past-band', 'InvalidSpec');
      expect(invalid.conditions?.find((c) => c.type === 'Ready')).to.include({
        status: 'False', message: 'spec.priority: slot 2 needs Admin priorities 108-111, past the operator\'s band 100-107',
      });
      expect(await client.policies('past-band')).to.deep.equal([]);
      const notes = await kubectlOk(plane.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '--field-selector', 'regarding.name=past-band',
        '-o', 'jsonpath={range .items[*]}{.reason}:{.note}{"\\n"}{end}']);
      expect(notes.trim()).to.equal('InvalidSpec:spec.priority: slot 2 needs Admin priorities 108-111, past the operator\'s band 100-107');
    } finally {
      await stopOperator(operator, 'SIGKILL');
    }
  });

  it('says Unsupported again when the CRDs are removed, lets their cache go, and applies once they are back', async function () {
    const operator = await startPalisadeOperator(plane, ['--leader-elect=false']);
    const cacheSilence = 'palisade_informer_last_event_age_seconds{resource="clusternetworkpolicies.policy.networking.k8s.io';
    try {
      await installClusterNetworkPolicyCrds(plane.kubeconfig);
      await client.apply('guard', { namespaceSelector: { matchLabels: { tenant: 'true' } } });
      // Ready once its first pass reconciled each ringfence, which made the policy cache.
      await eventually(async () => expect((await httpGet(operator.port, '/readyz')).status).to.equal(200), 30_000);
      expect(await client.ready('guard')).to.include({ apiVersion: V1BETA1, policyCount: 1 });
      expect((await httpGet(operator.port, '/metrics')).body).to.include(cacheSilence);

      const removedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
      await removeClusterNetworkPolicyCrds(plane.kubeconfig);
      // The cache's relist is answered 404: discovery is asked at once, not at the next resync.
      const status = await client.ready('guard', 'Unsupported');
      expect(status.conditions?.find((c) => c.type === 'Ready')?.message).to.include('install the CRDs of sigs.k8s.io/network-policy-api');
      // And an Event says so (a repeat of an earlier one counts in its series).
      await eventually(async () => {
        const seen = await kubectlOk(plane.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '--field-selector', 'regarding.name=guard,reason=Unsupported',
          '-o', 'jsonpath={range .items[*]}{.series.lastObservedTime}{" "}{.eventTime}{"\\n"}{end}']);
        const latest = seen.trim().split('\n').flatMap((line) => line.split(' ')).filter(Boolean).map((time) => Date.parse(time));
        expect(Math.max(...latest, 0), seen).to.be.at.least(removedAt.getTime());
      }, 30_000);
      expect((await httpGet(operator.port, '/metrics')).body, 'the cache is released').to.not.include(cacheSilence);
      expect((await httpGet(operator.port, '/readyz')).status).to.equal(200);

      await installClusterNetworkPolicyCrds(plane.kubeconfig);
      const applied = await eventually(() => client.ready('guard'), 90_000);
      expect(applied).to.include({ apiVersion: V1BETA1, policyCount: 1 });
      expect((await client.policies('guard')).map((p) => p.metadata.name)).to.deep.equal(['palisade-guard-guardrails']);
    } finally {
      await stopOperator(operator, 'SIGKILL');
    }
  });
});
