// charts/palisade, read by Helm itself (built from helm.sh/helm/v4): it lints, its defaults render
// exactly the objects of config/default, and its schema and values do what values.yaml says.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { load, loadAll } from 'js-yaml';
import { kubectlOk } from '../../harness/kubectl.ts';
import { CHART, runHelm } from '../../harness/helm.ts';
import { helm } from '../../harness/oracles.ts';

const DEFAULTS = new URL('../../config/default', import.meta.url).pathname;
const PROMETHEUS = new URL('../../config/prometheus', import.meta.url).pathname;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The objects `helm template` renders from the chart with `args` (--set ..., --namespace ...). */
async function template(...args: string[]): Promise<KubeObject[]> {
  const { code, stdout, stderr } = await runHelm(['template', 'palisade', CHART, '--namespace', 'palisade-system', ...args]);
  if (code !== 0) throw new Error(`helm template ${args.join(' ')} failed: ${stderr}`);
  return objects(stdout);
}

const objects = (yaml: string) => (loadAll(yaml) as (KubeObject | null)[]).filter((doc): doc is KubeObject => doc !== null);
const key = ({ kind, metadata }: KubeObject) => `${kind} ${metadata.namespace ?? ''}/${metadata.name}`;
const byKey = (list: KubeObject[]) => new Map(list.map((object) => [key(object), object]));

/** What Helm adds by design: its bookkeeping labels, the CRDs' keep policy, the pods' checksum of their environment. */
const HELM_LABELS = ['app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'helm.sh/chart'];
function withoutHelmBookkeeping(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  for (const label of HELM_LABELS) delete copy.metadata.labels?.[label];
  delete copy.metadata.annotations?.['helm.sh/resource-policy'];
  if (copy.metadata.annotations && Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  const pod = (copy.spec as { template?: { metadata: { annotations?: Record<string, string> } } } | undefined)?.template?.metadata;
  delete pod?.annotations?.['checksum/env'];
  if (pod?.annotations && Object.keys(pod.annotations).length === 0) delete pod.annotations;
  return copy;
}

/** kustomize's generated ConfigMap name carries a content hash; Helm's a fixed one (and the checksum above). */
const unhashed = (yaml: string) => yaml.replace(/palisade-operator-env-[a-z0-9]{10}/g, 'palisade-operator-env');

describe('charts/palisade (helm)', function () {
  this.timeout(900_000);

  before(function () {
    this.timeout(1_800_000);
    helm(); // built here once, so that a first build is not charged to one test's timeout
  });

  it('passes helm lint --strict', async function () {
    const { code, stdout, stderr } = await runHelm(['lint', '--strict', CHART]);
    expect(code, stdout + stderr).to.equal(0);
  });

  it('renders with its defaults the objects of config/default, but for the release namespace Helm owns', async function () {
    const kustomized = objects(unhashed(await kubectlOk('/dev/null', ['kustomize', DEFAULTS])))
      .filter((object) => !(object.kind === 'Namespace' && object.metadata.name === 'palisade-system'));
    const charted = (await template()).map(withoutHelmBookkeeping);
    const [want, have] = [byKey(kustomized), byKey(charted)];
    expect([...have.keys()].sort()).to.deep.equal([...want.keys()].sort());
    for (const [name, object] of want) expect(have.get(name), name).to.deep.equal(object);
  });

  it('labels every object with the release, and keeps the CRDs on uninstall', async function () {
    for (const object of await template()) {
      expect(object.metadata.labels, key(object)).to.include({ 'app.kubernetes.io/instance': 'palisade', 'app.kubernetes.io/managed-by': 'Helm' });
      if (object.kind === 'CustomResourceDefinition') expect(object.metadata.annotations, key(object)).to.include({ 'helm.sh/resource-policy': 'keep' });
    }
    const unkept = await template('--set', 'crds.keep=false');
    expect(unkept.filter((object) => object.metadata.annotations?.['helm.sh/resource-policy'])).to.deep.equal([]);
    expect((await template('--set', 'crds.install=false')).filter((object) => object.kind === 'CustomResourceDefinition')).to.deep.equal([]);
  });

  it('refuses a misspelled or mistyped value, naming it, and replicas without leader election', async function () {
    const refused: [string, string][] = [['replicaCount=3', 'replicaCount'], ['replicas=two', 'replicas'], ['logLevel=verbose', 'logLevel'],
      ['image.digest=latest', 'digest'], ['extraArgs[0]=log-level=debug', 'extraArgs']];
    for (const [set, says] of refused) {
      const { code, stderr } = await runHelm(['template', 'palisade', CHART, '--set', set]);
      expect(code, set).to.not.equal(0);
      expect(stderr, set).to.include(says);
    }
    const { code, stderr } = await runHelm(['template', 'palisade', CHART, '--set', 'leaderElection.enabled=false']);
    expect(code).to.not.equal(0);
    expect(stderr).to.include('replicas above 1 need leaderElection.enabled');
  });

  it('puts each value where it says', async function () {
    const rendered = byKey(await template(
      '--set', 'replicas=1', '--set', 'leaderElection.enabled=false', '--set', 'logLevel=debug',
      '--set', `image.digest=sha256:${'a'.repeat(64)}`, '--set', 'priorityClassName=system-cluster-critical',
      '--set', 'extraArgs[0]=--concurrency=4', '--set', 'extraEnv[0].name=TZ', '--set', 'extraEnv[0].value=UTC',
      '--set', 'nodeSelector.kubernetes\\.io/os=linux', '--set', 'legacyMigration.enabled=true', '--set', 'networkPolicy.apiServerPorts={16443}'));
    const deployment = rendered.get('Deployment palisade-system/palisade-operator') as unknown as
      { spec: { replicas: number; template: { spec: { priorityClassName: string; nodeSelector: object; containers: { image: string; args: string[]; env: { name: string; value?: string }[] }[] } } } };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(deployment.spec.replicas).to.equal(1);
    expect(container.image).to.equal(`ghcr.io/palisade-dev/palisade@sha256:${'a'.repeat(64)}`);
    expect(container.env.find((env) => env.name === 'PALISADE_IMAGE')?.value, 'HostPathJob runs the same image').to.equal(container.image);
    expect(container.env).to.deep.include({ name: 'TZ', value: 'UTC' });
    expect(container.args).to.deep.equal(['operator', '--concurrency=4']);
    expect(pod.priorityClassName).to.equal('system-cluster-critical');
    expect(pod.nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
    expect((rendered.get('ConfigMap palisade-system/palisade-operator-env') as { data?: object }).data)
      .to.include({ PALISADE_LEADER_ELECT: 'false', PALISADE_LOG_LEVEL: 'debug' });
    expect(rendered.has('PodDisruptionBudget palisade-system/palisade-operator'), 'no PDB that would block every drain of one replica').to.equal(false);
    expect(rendered.has('ClusterRole /palisade-operator-legacy-migration')).to.equal(true);
    const policy = rendered.get('NetworkPolicy palisade-system/palisade-operator') as unknown as { spec: { egress: { ports: { port: number }[] }[] } };
    expect(policy.spec.egress[0]!.ports.map(({ port }) => port)).to.deep.equal([16443]);
  });

  it('scrapes, with serviceMonitor.enabled, the port the metrics Service names, and binds the Prometheus ServiceAccount given', async function () {
    const rendered = byKey(await template('--set', 'serviceMonitor.enabled=true', '--set', 'serviceMonitor.prometheusServiceAccount.name=prometheus-k8s'));
    const monitor = rendered.get('ServiceMonitor palisade-system/palisade-operator') as unknown as
      { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; scheme: string }[] } };
    const service = rendered.get('Service palisade-system/palisade-operator-metrics')!;
    expect(service.metadata.labels).to.include(monitor.spec.selector.matchLabels);
    expect((service.spec as { ports: { name: string }[] }).ports.map(({ name }) => name)).to.include(monitor.spec.endpoints[0]!.port);
    expect(monitor.spec.endpoints[0]!.scheme).to.equal('https');
    const binding = rendered.get('ClusterRoleBinding /palisade-prometheus-metrics-reader') as unknown as { roleRef: { name: string }; subjects: unknown[] };
    expect(binding.roleRef.name).to.equal('palisade-metrics-reader');
    expect(rendered.has('ClusterRole /palisade-metrics-reader'), 'the role it binds is in the chart').to.equal(true);
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' }]);
  });

  it('ships, when asked, config/prometheus as it is: the alerts as a PrometheusRule, the dashboard for Grafana', async function () {
    const rendered = byKey(await template('--set', 'prometheusRule.enabled=true', '--set', 'grafanaDashboard.enabled=true'));
    const rule = rendered.get('PrometheusRule palisade-system/palisade') as unknown as { spec: unknown };
    expect(rule.spec).to.deep.equal(load(await readFile(join(PROMETHEUS, 'rules.yaml'), 'utf8')));
    const dashboard = rendered.get('ConfigMap palisade-system/palisade-dashboard') as unknown as { metadata: { labels: object }; data: Record<string, string> };
    expect(dashboard.data['palisade.json']).to.equal(await readFile(join(PROMETHEUS, 'dashboard.json'), 'utf8'));
    expect(dashboard.metadata.labels).to.include({ grafana_dashboard: '1' });
  });

  it('serves, with metrics.certSecret, the certificate of that Secret', async function () {
    const rendered = byKey(await template('--set', 'metrics.certSecret=palisade-metrics-tls', '--set', 'extraArgs[0]=--concurrency=3'));
    const pod = (rendered.get('Deployment palisade-system/palisade-operator') as unknown as { spec: { template: { spec: {
      volumes: { name: string; secret: { secretName: string } }[];
      containers: { args: string[]; volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] }[];
    } } } }).spec.template.spec;
    const container = pod.containers[0]!;
    expect(pod.volumes).to.deep.equal([{ name: 'metrics-cert', secret: { secretName: 'palisade-metrics-tls' } }]);
    expect(container.volumeMounts).to.deep.equal([{ name: 'metrics-cert', mountPath: '/etc/palisade/metrics-cert', readOnly: true }]);
    expect(container.args).to.deep.equal(['operator', '--metrics-cert-path=/etc/palisade/metrics-cert', '--concurrency=3']);
  });

  it('leaves the leader alerts out without leader election, where they would always fire', async function () {
    const alerts = async (...args: string[]) => {
      const rule = (await template('--set', 'prometheusRule.enabled=true', ...args)).find((object) => object.kind === 'PrometheusRule') as unknown as
        { spec: { groups: { rules: { alert?: string }[] }[] } };
      return rule.spec.groups.flatMap((group) => group.rules.map(({ alert }) => alert));
    };
    expect(await alerts()).to.include.members(['PalisadeNoLeader', 'PalisadeLeaderFlapping', 'PalisadeObjectNotReady']);
    const alone = await alerts('--set', 'replicas=1', '--set', 'leaderElection.enabled=false');
    expect(alone).to.not.include('PalisadeNoLeader');
    expect(alone).to.not.include('PalisadeLeaderFlapping');
    expect(alone).to.include('PalisadeObjectNotReady');
  });

  it('installs into any namespace: what config/default puts in palisade-system, and ServiceAccount subjects, follow the release', async function () {
    const moved = (namespace?: string) => (namespace === 'palisade-system' ? 'security' : namespace);
    const expected = (await template()).map((object) => `${object.kind} ${moved(object.metadata.namespace) ?? ''}/${object.metadata.name}`);
    const rendered = await template('--namespace', 'security');
    expect(rendered.map(key).sort()).to.deep.equal(expected.sort());
    for (const object of rendered) {
      for (const subject of (object.subjects as { kind: string; namespace?: string }[] | undefined) ?? []) {
        if (subject.kind === 'ServiceAccount') expect(subject.namespace, key(object)).to.equal('security');
      }
    }
  });

  it('packages with the shared files of config/ and crds/ inside, not as links', async function () {
    const out = await mkdtemp(join(tmpdir(), 'palisade-chart-'));
    try {
      const { code, stderr } = await runHelm(['package', CHART, '--destination', out]);
      expect(code, stderr).to.equal(0);
      const [archive] = await readdir(out);
      expect(archive, 'helm package wrote no archive').to.be.a('string');
      const packaged = await template();
      const fromArchive = objects((await runHelm(['template', 'palisade', join(out, archive!), '--namespace', 'palisade-system'])).stdout);
      expect(fromArchive.map(key).sort()).to.deep.equal(packaged.map(key).sort());
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
