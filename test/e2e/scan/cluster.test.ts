// `palisade scan --kubeconfig` on the real control plane: a live namespace is judged as the same
// manifests are offline, at the level its enforce label sets, each finding once (on the Deployment,
// not on the ReplicaSet kube-controller-manager makes from it); and files scanned beside the
// cluster take its namespace's label as their level.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlOk } from '../../../harness/kubectl.ts';
import type { ScanResult } from '../../../src/scan/types.ts';
import { palisade } from '../../support/cli.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { useNamespace } from '../../support/namespace.ts';

/** A Deployment that baseline refuses (a host port), a NodePort Service, and a Role that reads Secrets, in `namespace`. */
const manifests = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
        ports: [{containerPort: 80, hostPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${namespace}}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: ${namespace}}
rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]
`;

/** What a finding says, wherever it was read from. */
const said = (result: ScanResult) => result.findings.map(({ rule, message, object }) => `${object.kind}/${object.name} ${rule}: ${message}`).sort();

describe('palisade scan --kubeconfig', function () {
  this.timeout(120_000);
  const ns = useNamespace('scan');
  let kubeconfig: string;

  before(async function () {
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  it('judges a live namespace as its manifests, at its enforce label, once per template', async function () {
    await kubectlOk(kubeconfig, ['label', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=baseline', 'pod-security.kubernetes.io/enforce-version=v1.30']);
    const path = join(await mkdtemp(join(tmpdir(), 'palisade-scan-')), 'manifests.yaml');
    await writeFile(path, manifests(ns.name));
    await kubectlOk(kubeconfig, ['apply', '-f', path]);
    // kube-controller-manager makes the ReplicaSet; the scan must leave it out.
    await eventually(() => kubectlOk(kubeconfig, ['get', 'replicasets', '-n', ns.name, '-o', 'name']).then((names) => expect(names).to.contain('replicaset')));

    const live = JSON.parse((await palisade('scan', '--kubeconfig', kubeconfig, '-n', ns.name, '-o', 'json', '--fail-on', 'never')).stdout) as ScanResult;
    const beside = JSON.parse((await palisade('scan', '-f', path, '--kubeconfig', kubeconfig, '-o', 'json', '--fail-on', 'never')).stdout) as ScanResult;
    const offline = JSON.parse((await palisade('scan', '-f', path, '-o', 'json', '--fail-on', 'never')).stdout) as ScanResult;

    // Other suites' PodSecurityBaselines, which may select the namespace, are read too: left out here.
    const inNamespace = live.objects.filter(({ object }) => object.kind !== 'PodSecurityBaseline');
    expect(inNamespace.map(({ object }) => `${object.kind}/${object.name}`).sort()).to.deep.equal([
      'Deployment/web', `Namespace/${ns.name}`, 'Role/reader', 'Service/web', 'ServiceAccount/default']);
    const target = { level: 'baseline', version: 'v1.30', from: `the enforce label of Namespace ${ns.name}` };
    expect(live.objects.find(({ object }) => object.kind === 'Deployment')?.podSecurity).to.deep.equal(target);
    expect(beside.objects.find(({ object }) => object.kind === 'Deployment')?.podSecurity).to.deep.equal(target);
    expect(said(live)).to.include('Deployment/web pss/hostPorts: hostPort (container "web" uses hostPort 8080)');
    expect(said(live).filter((line) => !line.startsWith('Namespace/'))).to.deep.equal(said(beside));
    // Offline, with no Namespace in the files, the default is restricted: more Pod Security findings.
    expect(said(offline).filter((line) => line.includes(' pss/')).length).to.be.greaterThan(said(beside).filter((line) => line.includes(' pss/')).length);
    expect(live.findings.every(({ location }) => location.file === 'cluster' && location.line === 0)).to.equal(true);
  });

  it('refuses a namespace that is not there, with exit 2, rather than scanning nothing', async function () {
    const run = await palisade('scan', '--kubeconfig', kubeconfig, '-n', `${ns.name}-missing`);
    expect(run).to.deep.include({ code: 2, stdout: '' });
    expect(run.stderr).to.equal(`palisade: cannot scan: namespace ${ns.name}-missing not found\n`);
  });
});
