// The PodSecurityBaseline controllers in the real operator process against the real control
// plane, whose own Pod Security admission judges the pods.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { PodSecurityBaselineSpec } from '../../../src/api/podsecuritybaseline.ts';
import { STATE_ANNOTATION } from '../../../src/controllers/podsecuritybaseline/namespace-plan.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { startPalisadeOperator } from '../../support/least-privilege.ts';
import { metric, stopOperator, writeRequests } from '../../../harness/operator.ts';
import { usePalisadeOperator } from '../../support/palisade-operator.ts';

const PSA = 'pod-security.kubernetes.io/';

interface Baseline {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number; matchedNamespaces?: number; enforcedNamespaces?: number; pendingNamespaces?: number; violatingPods?: number;
    violations?: { namespace: string; total: number; pods: { name: string; checks: string[] }[] }[];
    overridden?: { namespace: string; mode: string; by: string }[];
    conditions?: { type: string; status: string; reason: string }[];
  };
}

const privilegedPod = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
});

describe('PodSecurityBaseline controller', function () {
  this.timeout(120_000);
  const suite = usePalisadeOperator(['--leader-elect=false', '--resync=3']);
  // Each test selects its own namespaces by a label of its own: the cluster is shared.
  let tenant: string;
  let created: string[];
  let baselines: string[];

  beforeEach(function () {
    tenant = randomBytes(3).toString('hex');
    created = [];
    baselines = [];
  });

  afterEach(async function () {
    // Baselines first, while the operator runs to release their finalizers.
    for (const name of baselines) await kubectlOk(suite.kubeconfig, ['delete', 'podsecuritybaseline', name, '--ignore-not-found', '--timeout=60s']);
    for (const name of created) await kubectlOk(suite.kubeconfig, ['delete', 'namespace', name, '--wait=false']);
  });


  async function namespace(suffix: string, labels: Record<string, string> = { 'palisade.dev/tenant': tenant }): Promise<string> {
    const name = `psb-${tenant}-${suffix}`;
    await kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }));
    created.push(name);
    await kubectlOk(suite.kubeconfig, ['wait', '--for=create', 'serviceaccount/default', '-n', name, '--timeout=60s']);
    return name;
  }
  const applyBaseline = (name: string, spec: Partial<PodSecurityBaselineSpec>) => {
    if (!baselines.includes(name)) baselines.push(name);
    return kubectlOk(suite.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name },
      spec: { namespaceSelector: { matchLabels: { 'palisade.dev/tenant': tenant } }, enforce: { level: 'restricted', version: 'v1.37' }, ...spec },
    }));
  };
  const labels = async (ns: string) => (JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'namespace', ns, '-o', 'json'])) as
    { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } }).metadata;
  const psaLabels = async (ns: string) => Object.fromEntries(Object.entries((await labels(ns)).labels).filter(([key]) => key.startsWith(PSA)));
  const baseline = async (name: string) => JSON.parse(await kubectlOk(suite.kubeconfig, ['get', 'podsecuritybaseline', name, '-o', 'json'])) as Baseline;
  const settled = (name: string, check: (status: NonNullable<Baseline['status']>) => void = () => undefined) => eventually(async () => {
    const { metadata, status } = await baseline(name);
    expect(status?.observedGeneration).to.equal(metadata.generation);
    check(status!);
  }, 30_000);
  const all = (level: string, version: string) =>
    Object.fromEntries(['enforce', 'audit', 'warn'].flatMap((mode) => [[`${PSA}${mode}`, level], [`${PSA}${mode}-version`, version]]));

  it('labels the matched namespaces and no other, labels a new one, and puts a hand edit back with an Event', async function () {
    const [first, second] = [await namespace('a'), await namespace('b')];
    const outsider = await namespace('c', { 'palisade.dev/tenant': 'someone-else' });
    const excluded = await namespace('d');
    await applyBaseline(`tenants-${tenant}`, { excludeNamespaces: [excluded], audit: { level: 'restricted', version: 'latest' } });
    const expected = { ...all('restricted', 'v1.37'), [`${PSA}audit-version`]: 'latest' };
    await eventually(async () => {
      expect(await psaLabels(first)).to.deep.equal(expected);
      expect(await psaLabels(second)).to.deep.equal(expected);
    }, 30_000);
    expect(await psaLabels(outsider)).to.deep.equal({});
    expect(await psaLabels(excluded)).to.deep.equal({});
    await settled(`tenants-${tenant}`, (status) => expect(status).to.include({ matchedNamespaces: 2, enforcedNamespaces: 2, pendingNamespaces: 0 }));
    const columns = await kubectlOk(suite.kubeconfig, ['get', 'psb', `tenants-${tenant}`]);
    expect(columns.split('\n')[1]).to.match(new RegExp(`^tenants-${tenant}\\s+restricted\\s+2\\s+2\\s+0\\s+True\\s+`));

    const late = await namespace('e');
    await eventually(async () => expect(await psaLabels(late)).to.deep.equal(expected), 30_000);

    await kubectlOk(suite.kubeconfig, ['label', 'namespace', first, '--overwrite', `${PSA}enforce=privileged`]);
    await eventually(async () => expect((await psaLabels(first))[`${PSA}enforce`]).to.equal('restricted'), 30_000);
    const events = await kubectlOk(suite.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '--field-selector', `regarding.name=tenants-${tenant}`,
      '-o', 'jsonpath={range .items[*]}{.reason}:{.note}{"\\n"}{end}']);
    expect(events).to.include(`DriftReverted:namespace ${first}: ${PSA}enforce was set to "privileged" outside Palisade; put back to "restricted"`);
  });

  it('enforces only where no pod violates, reports the violators, enforces once they are gone; then the API server rejects one', async function () {
    const [clean, dirty] = [await namespace('clean'), await namespace('dirty')];
    await kubectlOk(suite.kubeconfig, ['apply', '-n', dirty, '-f', '-'], privilegedPod('root-shell'));
    const name = `audit-first-${tenant}`;
    await applyBaseline(name, {});
    await settled(name, (status) => {
      expect(status).to.include({ matchedNamespaces: 2, enforcedNamespaces: 1, pendingNamespaces: 1, violatingPods: 1 });
      expect(status.violations).to.have.length(1);
      expect(status.violations![0]).to.deep.include({ namespace: dirty, total: 1 });
      expect(status.violations![0]!.pods.map((pod) => pod.name)).to.deep.equal(['root-shell']);
      expect(status.violations![0]!.pods[0]!.checks).to.include.members(['pss/privileged', 'pss/runAsNonRoot']);
      expect(status.conditions?.find((c) => c.type === 'Progressing')).to.include({ status: 'True', reason: 'EnforcementPending' });
      expect(status.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False' });
    });
    expect(await psaLabels(clean)).to.include({ [`${PSA}enforce`]: 'restricted' });
    expect(await psaLabels(dirty)).to.not.have.property(`${PSA}enforce`);
    expect(await psaLabels(dirty)).to.include({ [`${PSA}audit`]: 'restricted', [`${PSA}warn`]: 'restricted' });

    await kubectlOk(suite.kubeconfig, ['delete', 'pod', 'root-shell', '-n', dirty, '--wait=true']);
    await eventually(async () => expect(await psaLabels(dirty)).to.include({ [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'v1.37' }), 15_000);
    await settled(name, (status) => expect(status).to.include({ enforcedNamespaces: 2, pendingNamespaces: 0, violatingPods: 0 }));
    const rejected = await kubectl(suite.kubeconfig, ['apply', '-n', dirty, '-f', '-'], privilegedPod('root-shell-2'));
    expect(rejected.code).to.not.equal(0);
    expect(rejected.stderr).to.include('violates PodSecurity "restricted:v1.37"');
  });

  it('writes nothing when it restarts at steady state, a namespace held back by a violating pod included', async function () {
    this.timeout(180_000);
    const [clean, dirty] = [await namespace('clean'), await namespace('dirty')];
    await kubectlOk(suite.kubeconfig, ['apply', '-n', dirty, '-f', '-'], privilegedPod('root-shell'));
    const name = `restart-${tenant}`;
    await applyBaseline(name, {});
    await settled(name, (status) => expect(status).to.include({ matchedNamespaces: 2, enforcedNamespaces: 1, pendingNamespaces: 1, violatingPods: 1 }));
    expect(await psaLabels(clean)).to.include({ [`${PSA}enforce`]: 'restricted' });
    const before = (await baseline(name)).status;

    await stopOperator(suite.operator);
    suite.operator = await startPalisadeOperator(await sharedCluster(), ['--leader-elect=false', '--resync=3']);
    const reconciles = (kind: string, object: string) => suite.operator.logs.filter((line) => line.message === 'reconciled' && line.kind === kind && line.name === object).length;
    // Two resyncs after its first look at each: whatever it would write, it has written.
    await eventually(() => {
      expect(reconciles('Namespace', dirty)).to.be.at.least(3);
      expect(reconciles('PodSecurityBaseline', name)).to.be.at.least(3);
    }, 60_000);
    expect(await writeRequests(suite.operator.port)).to.equal(0);
    expect((await baseline(name)).status).to.deep.equal(before);
  });

  it('backs off from another field manager that keeps taking a label back, and says so steadily, naming it', async function () {
    this.timeout(180_000);
    const ns = await namespace('fought');
    const name = `fought-${tenant}`;
    await applyBaseline(name, {});
    await eventually(async () => expect(await psaLabels(ns)).to.deep.equal(all('restricted', 'v1.37')), 30_000);
    const argo = () => kubectlOk(suite.kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [`${PSA}enforce`]: 'baseline' } } }));
    const namespaceApplies = () => metric(suite.operator.port, 'palisade_api_requests_total', { verb: 'apply', resource: 'namespaces' });
    const statusWrites = () => metric(suite.operator.port, 'palisade_api_requests_total', { verb: 'apply-status', resource: 'podsecuritybaselines' });
    const fightReported = async () => {
      const ready = (await baseline(name)).status?.conditions?.find((c) => c.type === 'Ready') as { status: string; message: string; lastTransitionTime: string } | undefined;
      expect(ready?.status).to.equal('False');
      expect(ready?.message, JSON.stringify(ready)).to.include(`Namespace ${ns}`).and.include('field manager "argocd-controller"').and.include(`.metadata.labels.${PSA}enforce`);
      return ready!;
    };
    // ArgoCD (say) force-applies its own enforce level every 3 s for 45 s.
    const started = Date.now();
    const [appliesBefore] = [await namespaceApplies()];
    let reported: { lastTransitionTime: string } | undefined;
    let writesWhenReported = 0;
    while (Date.now() - started < 45_000) {
      await argo();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      if (!reported) {
        reported = await fightReported().catch(() => undefined);
        writesWhenReported = await statusWrites();
      }
    }
    const now = await fightReported();
    expect(reported, 'the fight is reported').to.not.equal(undefined);
    expect(now.lastTransitionTime, 'no flip-flop of Ready').to.equal(reported!.lastTransitionTime);
    expect(await statusWrites() - writesWhenReported, 'status writes once the fight is reported').to.be.at.most(1);
    // Reverting each time would be 15 reverts (30 applies: each first without force, to learn who holds the field).
    expect(await namespaceApplies() - appliesBefore).to.be.at.most(10);
    const events = await kubectlOk(suite.kubeconfig, ['get', 'events.events.k8s.io', '-n', 'default', '--field-selector', `regarding.name=${name}`,
      '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    expect(events.split('\n').filter((reason) => reason === 'FieldManagerConflict')).to.have.length(1);
  });

  it('enforces at once under Immediate, and reports the pods that run on until they are gone', async function () {
    const ns = await namespace('immediate');
    await kubectlOk(suite.kubeconfig, ['apply', '-n', ns, '-f', '-'], privilegedPod('legacy'));
    const name = `immediate-${tenant}`;
    await applyBaseline(name, { rollout: 'Immediate' });
    await settled(name, (status) => {
      expect(status).to.include({ matchedNamespaces: 1, enforcedNamespaces: 1, pendingNamespaces: 0, violatingPods: 1 });
      expect(status.violations?.[0]?.pods.map((pod) => pod.name)).to.deep.equal(['legacy']);
    });
    expect(await psaLabels(ns)).to.include({ [`${PSA}enforce`]: 'restricted' });
    await kubectlOk(suite.kubeconfig, ['delete', 'pod', 'legacy', '-n', ns, '--wait=true']);
    await settled(name, (status) => expect(status).to.include({ violatingPods: 0 }));
  });

  it('lets the strictest of two overlapping baselines win, and both say so', async function () {
    const shared = await namespace('shared');
    await applyBaseline(`loose-${tenant}`, { enforce: { level: 'baseline', version: 'latest' }, rollout: 'Immediate' });
    await applyBaseline(`strict-${tenant}`, { enforce: { level: 'restricted', version: 'v1.36' } });
    await eventually(async () => expect(await psaLabels(shared)).to.deep.equal(all('restricted', 'v1.36')), 30_000);
    await settled(`loose-${tenant}`, (status) => expect(status.overridden).to.deep.equal(
      ['enforce', 'audit', 'warn'].map((mode) => ({ namespace: shared, mode, by: `strict-${tenant}` }))));
    await settled(`strict-${tenant}`, (status) => expect(status.overridden ?? []).to.deep.equal([]));

    await kubectlOk(suite.kubeconfig, ['delete', 'podsecuritybaseline', `strict-${tenant}`, '--timeout=60s']);
    await eventually(async () => expect(await psaLabels(shared)).to.deep.equal(all('baseline', 'latest')), 30_000);
  });

  it('hands the labels back exactly as they were when the baseline goes, a hand-set value included', async function () {
    const ns = await namespace('restore', { 'palisade.dev/tenant': tenant, [`${PSA}enforce`]: 'baseline', [`${PSA}warn`]: 'privileged', team: 'x' });
    const before = await labels(ns);
    const name = `restore-${tenant}`;
    await applyBaseline(name, {});
    await eventually(async () => expect(await psaLabels(ns)).to.deep.equal(all('restricted', 'v1.37')), 30_000);
    expect((await labels(ns)).annotations?.[STATE_ANNOTATION]).to.be.a('string');

    await kubectlOk(suite.kubeconfig, ['delete', 'podsecuritybaseline', name, '--timeout=60s']);
    const after = await labels(ns);
    expect(after.labels).to.deep.equal(before.labels);
    expect(after.annotations ?? {}).to.not.have.property(STATE_ANNOTATION);
  });

  it('hands the labels back when a namespace leaves the selector', async function () {
    const ns = await namespace('leaver');
    await applyBaseline(`leaver-${tenant}`, {});
    await eventually(async () => expect(await psaLabels(ns)).to.deep.equal(all('restricted', 'v1.37')), 30_000);
    await kubectlOk(suite.kubeconfig, ['label', 'namespace', ns, 'palisade.dev/tenant-']);
    await eventually(async () => expect(await psaLabels(ns)).to.deep.equal({}), 30_000);
    await settled(`leaver-${tenant}`, (status) => expect(status).to.include({ matchedNamespaces: 0 }));
  });

  it('refuses bad input in the schema: unknown level, malformed version, empty selector, no selection', async function () {
    const cases: [Record<string, unknown>, string][] = [
      [{ namespaces: ['a'], enforce: { level: 'strict' } }, 'spec.enforce.level'],
      [{ namespaces: ['a'], enforce: { level: 'baseline', version: '1.30' } }, 'spec.enforce.version'],
      [{ namespaceSelector: {}, enforce: { level: 'baseline' } }, 'namespaceSelector must have matchLabels or matchExpressions'],
      [{ enforce: { level: 'baseline' } }, 'select namespaces with namespaceSelector, namespaces, or both'],
    ];
    for (const [spec, message] of cases) {
      const result = await kubectl(suite.kubeconfig, ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: `bad-${tenant}` }, spec }));
      expect(result.code, JSON.stringify(spec)).to.not.equal(0);
      expect(result.stderr).to.include(message);
    }
  });

  it('makes no write when a resync finds everything in place', async function () {
    const ns = await namespace('quiet');
    await applyBaseline(`quiet-${tenant}`, {});
    await eventually(async () => expect(await psaLabels(ns)).to.deep.equal(all('restricted', 'v1.37')), 30_000);
    await settled(`quiet-${tenant}`, (status) => expect(status).to.include({ enforcedNamespaces: 1 }));
    const reconciles = () => suite.operator.logs.filter((line) => line.message === 'reconciled' && line.name === ns).length;
    const writes = await writeRequests(suite.operator.port);
    const before = reconciles();
    await eventually(() => expect(reconciles()).to.be.at.least(before + 2), 20_000);
    expect(await writeRequests(suite.operator.port)).to.equal(writes);
  });
});
