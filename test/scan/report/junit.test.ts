// The JUnit reporter, read back as CI reads it (test/support/junit.ts).
import { expect } from 'chai';
import { junitReport } from '../../../src/scan/report/junit.ts';
import type { Finding, ScanResult } from '../../../src/scan/types.ts';
import { readJunit } from '../../support/junit.ts';

const read = readJunit;

const web = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'team' };
const debug = { apiVersion: 'v1', kind: 'Pod', name: 'debug', namespace: 'team' };
const admin = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'admin-all' };
const awkward = `image "nginx:latest" <floats> & won't pin\u0007`;

const result: ScanResult = {
  objects: [
    { object: web, location: { file: 'deploy/web.yaml', document: 1, line: 1 }, rules: ['pss/hostPorts', 'palisade/latestTag'] },
    { object: debug, location: { file: 'deploy/web.yaml', document: 2, line: 30 }, rules: ['pss/hostPorts', 'palisade/latestTag'] },
    // The same name in another file: its own suite, which the first one's findings must not fail.
    { object: web, location: { file: 'overlays/prod.yaml', document: 1, line: 1 }, rules: ['pss/hostPorts', 'palisade/latestTag'] },
    { object: admin, location: { file: 'cluster', document: 0, line: 0 }, rules: ['palisade/wildcardVerbs'] },
  ],
  findings: [
    { rule: 'pss/hostPorts', severity: 'error', message: 'host ports (8080)', object: web, location: { file: 'deploy/web.yaml', document: 1, line: 12 } },
    { rule: 'palisade/latestTag', severity: 'warning', message: awkward, object: web, location: { file: 'deploy/web.yaml', document: 1, line: 15 } },
    { rule: 'pss/hostPorts', severity: 'error', message: 'host ports (9090)', object: web, location: { file: 'deploy/web.yaml', document: 1, line: 20 } },
    {
      rule: 'pss/hostPorts', severity: 'error', message: 'host ports (7070)', object: debug,
      location: { file: 'deploy/web.yaml', document: 2, line: 40 }, suppressed: 'debug pod, removed after the incident',
    },
  ],
  rules: [
    { id: 'pss/hostPorts', severity: 'error', title: 'Host ports', help: 'Drop hostPort.', helpUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/' },
    { id: 'palisade/latestTag', severity: 'warning', title: 'Image tag :latest', help: 'Pin the image.', helpUri: 'https://palisade.dev/rules/latest-tag' },
    { id: 'palisade/wildcardVerbs', severity: 'error', title: 'Wildcard verbs', help: 'List the verbs.', helpUri: 'https://palisade.dev/rules/wildcard-verbs' },
  ],
};

describe('junitReport', function () {
  it('counts tests, failures and skips on every suite and in all', async function () {
    const suites = await read(junitReport(result));
    expect(suites).to.include({ name: 'palisade scan', tests: 7, failures: 2, errors: 0, skipped: 1 });
    expect(suites.testsuite?.map(({ name, file, tests, failures, skipped }) => ({ name, file, tests, failures, skipped }))).to.deep.equal([
      { name: 'team/Deployment/web', file: 'deploy/web.yaml', tests: 2, failures: 2, skipped: 0 },
      { name: 'team/Pod/debug', file: 'deploy/web.yaml', tests: 2, failures: 0, skipped: 1 },
      { name: 'team/Deployment/web', file: 'overlays/prod.yaml', tests: 2, failures: 0, skipped: 0 },
      { name: 'ClusterRole/admin-all', file: 'cluster', tests: 1, failures: 0, skipped: 0 },
    ]);
  });

  it('has a test case per rule the object was checked against', async function () {
    const suites = await read(junitReport(result));
    expect(suites.testsuite?.map((suite) => suite.testcase?.map(({ name, classname, file }) => [name, classname, file]))).to.deep.equal([
      [['pss/hostPorts', 'team/Deployment/web', 'deploy/web.yaml'], ['palisade/latestTag', 'team/Deployment/web', 'deploy/web.yaml']],
      [['pss/hostPorts', 'team/Pod/debug', 'deploy/web.yaml'], ['palisade/latestTag', 'team/Pod/debug', 'deploy/web.yaml']],
      [['pss/hostPorts', 'team/Deployment/web', 'overlays/prod.yaml'], ['palisade/latestTag', 'team/Deployment/web', 'overlays/prod.yaml']],
      [['palisade/wildcardVerbs', 'ClusterRole/admin-all', 'cluster']],
    ]);
    expect(suites.testsuite?.[2]?.testcase?.every((testcase) => !testcase.failure && !testcase.skipped)).to.equal(true);
  });

  it('fails a test case once per finding, with severity, message and file:line', async function () {
    const [hostPorts, latestTag] = (await read(junitReport(result))).testsuite?.[0]?.testcase ?? [];
    expect(hostPorts?.failure).to.deep.equal([
      { message: 'host ports (8080)', type: 'pss/hostPorts', inner: 'error: host ports (8080)\nat deploy/web.yaml:12' },
      { message: 'host ports (9090)', type: 'pss/hostPorts', inner: 'error: host ports (9090)\nat deploy/web.yaml:20' },
    ]);
    // The XML specials come back as they were; the control character, which XML 1.0 cannot carry, is gone.
    expect(latestTag?.failure).to.deep.equal([
      { message: `image "nginx:latest" <floats> & won't pin`, type: 'palisade/latestTag', inner: `warning: image "nginx:latest" <floats> & won't pin\nat deploy/web.yaml:15` },
    ]);
  });

  it('skips a test case whose findings are all suppressed, with the reason', async function () {
    const [hostPorts, latestTag] = (await read(junitReport(result))).testsuite?.[1]?.testcase ?? [];
    expect(hostPorts?.skipped).to.deep.equal([{ message: 'suppressed: debug pod, removed after the incident' }]);
    expect(hostPorts?.failure).to.equal(undefined);
    expect(latestTag).to.not.have.any.keys('skipped', 'failure');
  });

  it('fails only on the findings not suppressed when some are', async function () {
    const suppressed: Finding = { ...result.findings[0]!, message: 'host ports (1010)', suppressed: 'known' };
    const [hostPorts] = (await read(junitReport({ ...result, findings: [...result.findings, suppressed] }))).testsuite?.[0]?.testcase ?? [];
    expect(hostPorts?.failure?.map((failure) => failure.message)).to.deep.equal(['host ports (8080)', 'host ports (9090)']);
    expect(hostPorts?.skipped).to.equal(undefined);
  });
});
