// What `palisade scan` refuses as bad input (exit 2), the real API server refuses too, and what it
// reads, the server accepts: Pod Security labels on a Namespace, and Palisade's own resources.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds } from '../../../harness/crds.ts';
import { kubectl } from '../../../harness/kubectl.ts';
import { palisade } from '../../support/cli.ts';
import { sharedCluster } from '../../support/cluster.ts';

const namespace = (labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scan-parity\n  labels: {${labels}}\n`;
const baseline = (spec: string) => `apiVersion: palisade.dev/v1alpha1\nkind: PodSecurityBaseline\nmetadata:\n  name: scan-parity\nspec: ${spec}\n`;

const INPUTS: Record<string, string> = {
  'an enforce level': namespace('pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.30'),
  'an unknown enforce level': namespace('pod-security.kubernetes.io/enforce: strict'),
  'a version that is none': namespace('pod-security.kubernetes.io/enforce-version: v1.x'),
  'an unknown audit level': namespace('pod-security.kubernetes.io/audit: nope'),
  'a baseline': baseline('{namespaces: [team], enforce: {level: restricted}}'),
  'a baseline with a level that is none': baseline('{namespaces: [team], enforce: {level: strict}}'),
  'a baseline with namespaces as a string': baseline('{namespaces: team, enforce: {level: restricted}}'),
};

describe('palisade scan and the API server refuse the same input', function () {
  this.timeout(120_000);
  let kubeconfig: string;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
  });

  for (const [what, manifest] of Object.entries(INPUTS)) {
    it(`gives ${what} the server's verdict`, async function () {
      const path = join(await mkdtemp(join(tmpdir(), 'palisade-scan-parity-')), 'input.yaml');
      await writeFile(path, manifest);
      const server = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', path]);
      const scan = await palisade('scan', '-f', path, '--fail-on', 'never');
      expect(scan.code === 2 ? 'refused' : 'accepted', `scan: ${scan.stderr}`).to.equal(server.code === 0 ? 'accepted' : 'refused', `kubectl: ${server.stderr}`);
    });
  }
});
