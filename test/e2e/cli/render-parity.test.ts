// Offline equals the server: `palisade render` accepts exactly the inputs that
// `kubectl apply --dry-run=server` accepts on the real control plane, and reads YAML as kubectl does.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../../../src/api/manifests.ts';
import { renderFiles } from '../../../src/cli/render.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../../harness/crds.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';

const corpus = new URL('./corpus/', import.meta.url).pathname;

type Verdict = 'accepted' | 'refused';

interface Input {
  file: string;
  path: string;
  expected: Verdict;
  what: string;
}

/** Each corpus file starts with `# accepted: what it is` or `# refused: what it is`. */
function inputs(): Input[] {
  return readdirSync(corpus).filter((file) => file.endsWith('.yaml')).sort().map((file) => {
    const path = join(corpus, file);
    const [, expected, what] = /^# (accepted|refused): (.+)$/m.exec(readFileSync(path, 'utf8')) ?? [];
    if (!expected || !what) throw new Error(`${path}: the first line must be "# accepted: ..." or "# refused: ..."`);
    return { file, path, expected: expected as Verdict, what };
  });
}

function renderVerdict(path: string): { verdict: Verdict; message: string } {
  try {
    renderFiles([path]);
    return { verdict: 'accepted', message: '' };
  } catch (error) {
    return { verdict: 'refused', message: error instanceof Error ? error.message : String(error) };
  }
}

// Unquoted scalars where YAML 1.2, YAML 1.1 and go-yaml v2 (what kubectl parses with) disagree.
const SCALARS = [
  'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'y', 'Y', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'n', 'N', 'true', 'False', 'yES', 'oN',
  '~', 'null', 'Null', 'nULL', '2024-01-01', '2024-01-01T10:00:00Z', '1:20', '1:20.5', '0755', '08', '0o17', '0O17', '0x1F', '0X1F',
  '0b101', '0B101', '-0x1f', '+12', '1_000', '0x_1F', '1e3', '1E-2', '+.5', '.5', '.5_0', '._5', '.', '+.', 'e3', '1.', '1.5_5', '0x',
  '0b', '12abc', '1__0', '1e3_', 'infinity',
];
// As a key, a null is an error to kubectl (corpus/ringfence-null-key.yaml).
const NULLS = ['~', 'null', 'Null'];

describe('palisade render and the API server give every input the same verdict', function () {
  let kubeconfig: string;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
  });

  const corpusInputs = inputs();

  it('has a corpus of at least 40 inputs, both verdicts among them', function () {
    expect(corpusInputs.length).to.be.at.least(40);
    expect(new Set(corpusInputs.map((input) => input.expected))).to.deep.equal(new Set(['accepted', 'refused']));
  });

  for (const { file, path, expected, what } of corpusInputs) {
    it(`${expected === 'accepted' ? 'accepts' : 'refuses'} ${file}: ${what}`, async function () {
      const server = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', path]);
      expect(server.code === 0 ? 'accepted' : 'refused', `kubectl: ${server.stderr}`).to.equal(expected);
      const offline = renderVerdict(path);
      expect(offline.verdict, `render: ${offline.message}`).to.equal(expected);
      // A refusal names the file, and a field unless the file could not be read at all.
      if (expected === 'refused') expect(offline.message.split('\n').every((line) => line.startsWith(`${path}: `))).to.equal(true);
    });
  }

  it('reads every YAML scalar that YAML versions disagree on as kubectl does, as a value and as a key', async function () {
    const manifest = [
      'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: scalars}', 'data:',
      ...SCALARS.map((scalar, index) => `  value${index}: ${scalar}`),
      ...SCALARS.filter((scalar) => !NULLS.includes(scalar)).map((scalar) => `  ${scalar}: key`),
    ].join('\n');
    // A client dry run prints what kubectl decoded, before any type is checked.
    const decoded = JSON.parse(await kubectlOk(kubeconfig, ['create', '--dry-run=client', '-o', 'json', '-f', '-'], manifest)) as { data: unknown };
    const [ours] = parseManifests(manifest) as { data: unknown }[];
    expect(ours?.data).to.deep.equal(decoded.data);
  });
});
