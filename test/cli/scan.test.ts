// `palisade scan`, run as users and CI run it: exit codes, every output format read back by
// what reads it (a SARIF schema, a JUnit parser), and bad input named by file, document and line.
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from 'sarif';
import type { Finding, ScanResult } from '../../src/scan/types.ts';
import { palisade, palisadeWith } from '../support/cli.ts';
import { readJunit } from '../support/junit.ts';
import { sarifErrors } from '../support/sarif.ts';

const DIGEST = 'sha256:'.padEnd(71, '0');

/** A Namespace fenced in and enforcing restricted, and a Deployment that every rule passes. */
const CLEAN = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: registry.example/web@${DIGEST}
        resources: {limits: {cpu: 500m, memory: 128Mi}}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`;

/** The same Deployment, privileged, in a namespace that enforces baseline; line 25 is its securityContext. */
const RISKY = CLEAN.replace('restricted}', 'baseline}').replace('readOnlyRootFilesystem: true,', 'readOnlyRootFilesystem: true, privileged: true,');

/** Only warnings: an image by tag. */
const WARNINGS_ONLY = CLEAN.replace(`@${DIGEST}`, ':1.2');

async function file(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'palisade-scan-')), name);
  await writeFile(path, text);
  return path;
}

describe('palisade scan', function () {
  this.timeout(20_000);

  it('exits 0 for manifests every rule passes, and says what it scanned', async function () {
    const run = await palisade('scan', '-f', await file('clean.yaml', CLEAN));
    expect(run).to.deep.include({ code: 0, stderr: '' });
    expect(run.stdout).to.equal('3 objects scanned, 0 with findings: 0 errors, 0 warnings, 0 suppressed\n');
  });

  it('exits 1 on an error, naming rule, message, file and line, and 0 with --fail-on never', async function () {
    const path = await file('risky.yaml', RISKY);
    const run = await palisade('scan', '-f', path);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain(`shop/Deployment/web  ${path}:12 (document 3), Pod Security baseline:latest from the enforce label of Namespace shop`);
    expect(run.stdout).to.match(/ERROR {6}pss\/privileged .*privileged \(container "web" must not set securityContext.privileged=true\)/);
    expect((await palisade('scan', '-f', path, '--fail-on', 'never')).code).to.equal(0);
  });

  it('fails on warnings only with --fail-on warning', async function () {
    const path = await file('tagged.yaml', WARNINGS_ONLY);
    expect((await palisade('scan', '-f', path)).code).to.equal(0);
    const run = await palisade('scan', '-f', path, '--fail-on', 'warning');
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('palisade/image-without-digest');
  });

  it('holds every namespace to --level, whatever its label says', async function () {
    const path = await file('risky.yaml', RISKY.replace('privileged: true,', '').replace('runAsNonRoot: true, ', ''));
    expect((await palisade('scan', '-f', path)).code).to.equal(0);
    const run = await palisade('scan', '-f', path, '--level', 'restricted', '--version', 'v1.30', '-o', 'json');
    const { findings, objects } = JSON.parse(run.stdout) as ScanResult;
    expect(findings.map((finding) => finding.rule)).to.deep.equal(['pss/runAsNonRoot']);
    expect(objects[2]?.podSecurity).to.deep.equal({ level: 'restricted', version: 'v1.30', from: '--level' });
  });

  it('reads stdin for -f - and prints JSON with each finding\'s file, document and line', async function () {
    const run = await palisadeWith(RISKY, 'scan', '-f', '-', '-o', 'json');
    const { summary, findings } = JSON.parse(run.stdout) as { summary: Record<string, number>; findings: Finding[] };
    expect(summary).to.deep.equal({ objects: 3, withFindings: 1, error: 1, warning: 0, suppressed: 0 });
    expect(findings).to.deep.equal([{
      rule: 'pss/privileged', severity: 'error', message: 'privileged (container "web" must not set securityContext.privileged=true)',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' }, location: { file: 'stdin', document: 3, line: 25 },
    }]);
  });

  it('writes SARIF 2.1.0 that the schema accepts, with the finding at its line', async function () {
    const path = await file('risky.yaml', RISKY);
    const log = JSON.parse((await palisade('scan', '-f', path, '-o', 'sarif')).stdout) as Log;
    expect(sarifErrors(log)).to.equal(undefined);
    const [result] = log.runs[0]!.results!;
    expect(result).to.deep.include({ ruleId: 'pss/privileged', level: 'error' });
    expect(result?.locations?.[0]?.physicalLocation?.region?.startLine).to.equal(25);
    expect(result?.locations?.[0]?.logicalLocations?.[0]?.fullyQualifiedName).to.equal('shop/Deployment/web');
  });

  it('writes JUnit XML that a JUnit reader parses: a suite per object, a case per rule', async function () {
    const suites = await readJunit((await palisade('scan', '-f', await file('risky.yaml', RISKY), '-o', 'junit')).stdout);
    expect(suites).to.include({ name: 'palisade scan', failures: 1 });
    expect(suites?.testsuite?.map((suite) => suite.name)).to.deep.equal(['Namespace/shop', 'shop/NetworkPolicy/default-deny', 'shop/Deployment/web']);
    const privileged = suites?.testsuite?.[2]?.testcase?.find((testcase) => testcase.name === 'pss/privileged');
    expect(privileged?.failure?.[0]?.message).to.equal('privileged (container "web" must not set securityContext.privileged=true)');
  });

  it('refuses bad input with exit 2, naming the file, the document and the line, and no stack trace', async function () {
    const broken = await file('broken.yaml', 'a: [\n');
    const kindless = await file('kindless.yaml', `${CLEAN}---\napiVersion: v1\nmetadata: {name: x}\n`);
    const emptyDirectory = await mkdtemp(join(tmpdir(), 'palisade-scan-empty-'));
    const clean = await file('clean.yaml', CLEAN);
    const mistyped = await file('mistyped.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: oops\n');
    const expected: [string[], RegExp][] = [
      [['-f', broken], new RegExp(`^palisade: ${broken}: document 1 \\(line 2\\): not YAML: .* at line 2`)],
      [['-f', kindless], new RegExp(`^palisade: ${kindless}: document 4 \\(line 27\\): apiVersion and kind must be set`)],
      [['-f', mistyped], new RegExp(`^palisade: ${mistyped}: document 1 \\(line 1\\): default/Pod/p is not a valid Pod`)],
      [['-f', '/nonexistent.yaml'], /^palisade: \/nonexistent.yaml: no such file or directory/],
      [['-f', kindless, '--level', 'strict'], /^palisade: --level strict: use auto, baseline, restricted/],
      [['-f', kindless, '--version', '1.30'], /^palisade: --version 1.30: use latest or v1.N/],
      [['-f', kindless, '-o', 'xml'], /^palisade: -o xml: use text, json, sarif, junit/],
      [[], /^palisade: scan needs -f/],
      [['-f', emptyDirectory], new RegExp(`^palisade: no objects in ${emptyDirectory}`)],
      [['-f', clean, '--kubeconfig', '/nonexistent/kubeconfig'], /^palisade: cannot scan: .*\/nonexistent\/kubeconfig/],
    ];
    for (const [args, message] of expected) {
      const run = await palisade('scan', ...args);
      expect(run, args.join(' ')).to.deep.include({ code: 2, stdout: '' });
      expect(run.stderr, args.join(' ')).to.match(message).and.not.match(/\n\s+at /);
    }
  });
});
