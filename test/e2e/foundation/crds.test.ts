// The CRDs on the real API server: they install, the examples apply, kubectl shows the columns.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { API_VERSION, kinds } from '../../../src/api/index.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { installCrds } from '../../../harness/crds.ts';

const examplesDir = new URL('../../../examples/', import.meta.url).pathname;

describe('CRDs on the real API server', function () {
  let kubeconfig: string;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', examplesDir]);
  });

  it('are Established', async function () {
    const out = await kubectlOk(kubeconfig, ['get', 'crd', '-l', 'app.kubernetes.io/part-of=palisade',
      '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}']);
    expect(out.trim().split('\n').sort()).to.deep.equal([
      'clusterringfences.palisade.dev=True',
      'keyrotationschedules.palisade.dev=True',
      'namespaceringfences.palisade.dev=True',
      'podsecuritybaselines.palisade.dev=True',
    ]);
  });

  for (const file of readdirSync(examplesDir)) {
    it(`applies examples/${file} with kubectl apply --server-side`, async function () {
      const out = await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', `${examplesDir}${file}`]);
      expect(out).to.match(/serverside-applied/);
    });
  }

  for (const kind of kinds) {
    it(`prints the printer columns of ${kind.kind} in kubectl get`, async function () {
      const out = await kubectlOk(kubeconfig, ['get', kind.plural, '--all-namespaces']);
      const header = out.split('\n')[0] ?? '';
      for (const column of [...kind.printerColumns.map((c) => c.name.toUpperCase()), 'AGE']) {
        expect(header).to.include(column);
      }
      expect(out.split('\n').length, out).to.be.greaterThan(2);
    });
  }

  // A valid spec of each kind, for objects whose status the tests write themselves.
  const specs: Record<string, unknown> = {
    NamespaceRingfence: {},
    ClusterRingfence: { namespaceSelector: { matchLabels: { 'wide-columns': 'true' } } },
    PodSecurityBaseline: { namespaces: ['team-a'], enforce: { level: 'baseline' } },
    KeyRotationSchedule: { schedule: '@weekly', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File' } },
  };

  for (const kind of kinds) {
    it(`shows the Ready condition's reason and message of ${kind.kind} with -o wide, and only then`, async function () {
      const namespaced = kind.scope === 'Namespaced';
      const object = { apiVersion: API_VERSION, kind: kind.kind, metadata: { name: 'wide-columns', ...(namespaced ? { namespace: 'default' } : {}) } };
      await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...object, spec: specs[kind.kind] }));
      const ready = {
        type: 'Ready', status: 'False', reason: 'ApplyFailed', message: 'NetworkPolicy palisade-egress was refused', lastTransitionTime: '2026-01-01T00:00:00Z',
      };
      await kubectlOk(kubeconfig, ['apply', '--server-side', '--subresource=status', '-f', '-'], JSON.stringify({ ...object, status: { conditions: [ready] } }));
      const get = ['get', kind.plural, 'wide-columns', ...(namespaced ? ['-n', 'default'] : [])];

      const [wideHeader = '', wideRow = ''] = (await kubectlOk(kubeconfig, [...get, '-o', 'wide'])).split('\n');
      expect(wideHeader).to.match(/\bREASON\s+MESSAGE\s+AGE$/);
      expect(wideRow).to.include('ApplyFailed').and.include('NetworkPolicy palisade-egress was refused');
      const [header = ''] = (await kubectlOk(kubeconfig, get)).split('\n');
      expect(header).not.to.match(/REASON|MESSAGE/);
      await kubectlOk(kubeconfig, ['delete', ...get.slice(1)]);
    });
  }

  it('lists every kind under the palisade category and the short names', async function () {
    const all = await kubectlOk(kubeconfig, ['get', 'palisade', '--all-namespaces', '-o', 'name']);
    expect(all).to.include('namespaceringfence.palisade.dev/ringfence');
    expect(all).to.include('podsecuritybaseline.palisade.dev/tenants-restricted');
    expect(all).to.include('keyrotationschedule.palisade.dev/secrets-at-rest');
    expect(all).to.include('clusterringfence.palisade.dev/tenants');
    for (const kind of kinds) {
      for (const shortName of kind.shortNames) {
        expect(await kubectlOk(kubeconfig, ['get', shortName, '--all-namespaces', '-o', 'name'])).to.not.equal('');
      }
    }
  });

  it('fills in the schema defaults', async function () {
    const applied = await kubectlOk(kubeconfig, ['apply', '--server-side', '-o', 'json', '-f', '-'], JSON.stringify({
      apiVersion: 'palisade.dev/v1alpha1',
      kind: 'KeyRotationSchedule',
      metadata: { name: 'defaults' },
      spec: { schedule: '@weekly', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File' } },
    }));
    const spec = (JSON.parse(applied) as { spec: Record<string, unknown> }).spec;
    expect(spec).to.deep.include({
      provider: 'aescbc', timeZone: 'UTC', resources: ['secrets'], retainPreviousKeys: 1, suspend: false,
      delivery: { type: 'File', path: '/etc/kubernetes/enc/encryption-config.yaml' },
    });
  });
});
