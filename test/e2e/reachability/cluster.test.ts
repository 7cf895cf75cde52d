// `palisade can-reach` and `palisade map --kubeconfig` on the real control plane: a namespace fenced
// by a ringfence's policies (rendered offline, applied with kubectl as the operator would) is
// answered for live as for its manifests, --explain names the ringfence field through the
// policies' labels, and --diff against the cluster shows what a changed ringfence would open.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { palisade } from '../../support/cli.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { useNamespace } from '../../support/namespace.ts';

const ringfence = (namespace: string, ports: string) => `apiVersion: palisade.dev/v1alpha1
kind: NamespaceRingfence
metadata: {name: ringfence, namespace: ${namespace}}
spec:
  egress:
    to:
      - ipBlock: {cidr: 0.0.0.0/0}
        ports: [${ports}]
`;

const workloads = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.k8s.io/pause:3.10, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${namespace}, labels: {app: client}}
spec:
  containers: [{name: client, image: registry.k8s.io/pause:3.10}]
`;

describe('palisade can-reach and map --kubeconfig', function () {
  this.timeout(120_000);
  const ns = useNamespace('reach');
  let kubeconfig: string;

  before(async function () {
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  it('answers for the live namespace as for its manifests, and --diff shows what a changed ringfence opens', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-reach-'));
    const [fence, pods, changed, closed] = ['ringfence.yaml', 'workloads.yaml', 'changed.yaml', 'closed.yaml'].map((name) => join(dir, name)) as [string, string, string, string];
    await writeFile(fence, ringfence(ns.name, '{port: 443}'));
    await writeFile(pods, workloads(ns.name));
    await writeFile(changed, ringfence(ns.name, '{port: 443}, {port: 80}'));
    // Without the egress rule, the ringfence no longer generates its palisade-egress policy at all.
    await writeFile(closed, `apiVersion: palisade.dev/v1alpha1\nkind: NamespaceRingfence\nmetadata: {name: ringfence, namespace: ${ns.name}}\nspec: {}\n`);
    const rendered = await palisade('render', '-f', fence);
    expect(rendered.code, rendered.stderr).to.equal(0);
    await writeFile(join(dir, 'policies.yaml'), rendered.stdout);
    await kubectlOk(kubeconfig, ['apply', '-f', join(dir, 'policies.yaml'), '-f', pods]);

    const questions = [
      [`${ns.name}/client`, `${ns.name}/deployment/web`, '8080'],
      [`${ns.name}/client`, '203.0.113.9', '443'],
      [`${ns.name}/client`, '203.0.113.9', '80'],
      [`${ns.name}/client`, '169.254.169.254', '443'],
      ['203.0.113.9', `${ns.name}/deployment/web`, '8080'],
    ];
    for (const [from, to, port] of questions) {
      const live = await palisade('can-reach', from!, to!, '--port', port!, '--kubeconfig', kubeconfig, '--explain');
      const offline = await palisade('can-reach', from!, to!, '--port', port!, '-f', fence, '-f', pods, '--explain');
      expect({ code: live.code, stdout: live.stdout }, live.stderr).to.deep.equal({ code: offline.code, stdout: offline.stdout });
    }
    const egress = await palisade('can-reach', `${ns.name}/client`, '203.0.113.9', '--port', '443', '--kubeconfig', kubeconfig, '--explain');
    expect(egress.code).to.equal(0);
    expect(egress.stdout).to.contain(`(NamespaceRingfence ${ns.name}/ringfence spec.egress.to[0])`);

    const diff = await palisade('map', '--diff', '--kubeconfig', kubeconfig, '-f', changed);
    expect(diff.code, diff.stderr).to.equal(1);
    expect(diff.stdout.split('\n').filter(Boolean).sort()).to.deep.equal([
      `+ ${ns.name}/deployment/web => 0.0.0.0/0 except 169.254.169.254/32 : TCP 80`,
      `+ ${ns.name}/pod/client => 0.0.0.0/0 except 169.254.169.254/32 : TCP 80`,
    ]);
    const closes = await palisade('map', '--diff', '--kubeconfig', kubeconfig, '-f', closed);
    expect(closes.code, closes.stderr).to.equal(0);
    expect(closes.stdout.split('\n').filter(Boolean).sort()).to.deep.equal([
      `- ${ns.name}/deployment/web => 0.0.0.0/0 except 169.254.169.254/32 : TCP 443`,
      `- ${ns.name}/pod/client => 0.0.0.0/0 except 169.254.169.254/32 : TCP 443`,
    ]);
  });
});
