// The Pod Security level and version `palisade scan` holds each pod template to: under
// `--level auto` the enforce label of its Namespace in the input, else the PodSecurityBaselines in
// the input that select it (the strictest wins), else restricted; an explicit level over all of them.
import { expect } from 'chai';
import { API_VERSION } from '../../src/api/crd.ts';
import type { ScanResult } from '../../src/scan/types.ts';
import { scanOf } from './support.ts';

/** A pod in `team` that baseline forbids only for its host port, and restricted for more. */
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
spec:
  containers:
    - name: app
      image: app:1.2
      ports: [{containerPort: 8080, hostPort: 8080}]
`;

const namespace = (name: string, labels: Record<string, string> = {}) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
`;

const baseline = (name: string, spec: object) => `apiVersion: ${API_VERSION}
kind: PodSecurityBaseline
metadata:
  name: ${name}
spec: ${JSON.stringify(spec)}
`;

const stream = (...documents: string[]) => documents.join('---\n');

const pod = (result: ScanResult) => result.objects.find(({ object }) => object.kind === 'Pod')!;
const pssFindings = (result: ScanResult) => result.findings.filter(({ rule }) => rule.startsWith('pss/')).map(({ rule, message }) => [rule, message]);
const pssRules = (result: ScanResult) => pod(result).rules.filter((rule) => rule.startsWith('pss/'));

const HOST_PORT = ['pss/hostPorts', 'hostPort (container "app" uses hostPort 8080)'];
const BASELINE_RULES = [
  'pss/appArmorProfile', 'pss/capabilities_baseline', 'pss/hostNamespaces', 'pss/hostPathVolumes', 'pss/hostPorts', 'pss/privileged',
  'pss/procMount', 'pss/seLinuxOptions', 'pss/seccompProfile_baseline', 'pss/sysctls', 'pss/windowsHostProcess',
];
const DEFAULT = 'the default (no enforce label or PodSecurityBaseline in the input)';

describe('palisade scan: the Pod Security target', function () {
  it('is the API version palisade.dev/v1alpha1 for PodSecurityBaselines', function () {
    expect(API_VERSION).to.equal('palisade.dev/v1alpha1');
  });

  describe('--level auto', function () {
    it('holds a pod to the enforce label and enforce-version label of its Namespace in the input', function () {
      const result = scanOf(stream(namespace('team', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' }), POD));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'v1.30', from: 'the enforce label of Namespace team' });
      expect(pssFindings(result)).to.deep.equal([HOST_PORT]);
      expect(pssRules(result)).to.deep.equal(BASELINE_RULES);
    });

    it('takes latest, not --version, for an enforce label without an enforce-version', function () {
      const result = scanOf(stream(namespace('team', { 'pod-security.kubernetes.io/enforce': 'baseline' }), POD), { version: 'v1.25' });
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'latest', from: 'the enforce label of Namespace team' });
    });

    it('ignores the enforce label of another Namespace', function () {
      const result = scanOf(stream(namespace('other', { 'pod-security.kubernetes.io/enforce': 'privileged' }), POD));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'restricted', version: 'latest', from: DEFAULT });
    });

    it('holds a pod to a PodSecurityBaseline in the input that selects its namespace by name, with no Namespace in the input', function () {
      const result = scanOf(stream(baseline('by-name', { namespaces: ['team'], enforce: { level: 'baseline', version: 'v1.29' } }), POD));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'v1.29', from: 'PodSecurityBaseline by-name' });
      expect(pssFindings(result)).to.deep.equal([HOST_PORT]);
    });

    it('holds a pod to a PodSecurityBaseline whose namespaceSelector matches the labels of its Namespace in the input', function () {
      const result = scanOf(stream(
        namespace('team', { tenant: 'true' }),
        baseline('tenants', { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'baseline' } }),
        POD,
      ));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'latest', from: 'PodSecurityBaseline tenants' });
    });

    it('does not select by label a namespace whose Namespace, and so whose labels, the input lacks', function () {
      const result = scanOf(stream(baseline('tenants', { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'baseline' } }), POD));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'restricted', version: 'latest', from: DEFAULT });
    });

    it('takes the strictest of two PodSecurityBaselines that select the namespace, in either order', function () {
      const loose = baseline('a-loose', { namespaces: ['team'], enforce: { level: 'baseline', version: 'latest' } });
      const strict = baseline('b-strict', { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'restricted', version: 'v1.28' } });
      for (const order of [[loose, strict], [strict, loose]]) {
        const result = scanOf(stream(namespace('team', { tenant: 'true' }), ...order, POD));
        expect(pod(result).podSecurity).to.deep.equal({ level: 'restricted', version: 'v1.28', from: 'PodSecurityBaseline b-strict' });
        expect(pssFindings(result).map(([rule]) => rule)).to.include.members(['pss/hostPorts', 'pss/runAsNonRoot']);
      }
    });

    it('prefers the Namespace\'s enforce label to a PodSecurityBaseline that selects it', function () {
      const result = scanOf(stream(
        namespace('team', { 'pod-security.kubernetes.io/enforce': 'baseline', tenant: 'true' }),
        baseline('tenants', { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'restricted' } }),
        POD,
      ));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'latest', from: 'the enforce label of Namespace team' });
    });

    it('holds a pod to restricted at --version when neither a label nor a PodSecurityBaseline says otherwise', function () {
      const result = scanOf(stream(namespace('team'), POD), { version: 'v1.25' });
      expect(pod(result).podSecurity).to.deep.equal({ level: 'restricted', version: 'v1.25', from: DEFAULT });
      expect(pssFindings(result).map(([rule]) => rule).sort()).to.deep.equal([
        'pss/allowPrivilegeEscalation', 'pss/capabilities_restricted', 'pss/hostPorts', 'pss/runAsNonRoot', 'pss/seccompProfile_restricted',
      ]);
    });

    it('finds nothing of Pod Security, and checks no pss rule, in a namespace labelled privileged', function () {
      const privileged = POD.replace('ports:', 'securityContext: {privileged: true}\n      ports:');
      const result = scanOf(stream(namespace('team', { 'pod-security.kubernetes.io/enforce': 'privileged' }), privileged));
      expect(pod(result).podSecurity).to.deep.equal({ level: 'privileged', version: 'latest', from: 'the enforce label of Namespace team' });
      expect(pssFindings(result)).to.deep.equal([]);
      expect(pssRules(result)).to.deep.equal([]);
      expect(result.rules.map(({ id }) => id).filter((id) => id.startsWith('pss/'))).to.deep.equal([]);
      expect(pod(result).rules).to.include('palisade/image-without-digest');
    });
  });

  describe('an explicit level', function () {
    it('overrides the Namespace\'s enforce label, at --version', function () {
      const result = scanOf(stream(namespace('team', { 'pod-security.kubernetes.io/enforce': 'privileged' }), POD), { level: 'baseline', version: 'v1.31' });
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'v1.31', from: '--level' });
      expect(pssFindings(result)).to.deep.equal([HOST_PORT]);
      expect(pssRules(result)).to.deep.equal(BASELINE_RULES);
    });

    it('overrides a PodSecurityBaseline that selects the namespace', function () {
      const result = scanOf(stream(baseline('strict', { namespaces: ['team'], enforce: { level: 'restricted' } }), POD), { level: 'baseline' });
      expect(pod(result).podSecurity).to.deep.equal({ level: 'baseline', version: 'latest', from: '--level' });
      expect(pssFindings(result)).to.deep.equal([HOST_PORT]);
    });
  });
});
