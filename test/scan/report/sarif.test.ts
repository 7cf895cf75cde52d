// The SARIF reporter: its output is valid SARIF 2.1.0 (test/support/sarif.ts) and says what the scan found, where.
import { expect } from 'chai';
import type { Log } from 'sarif';
import { sarifReport } from '../../../src/scan/report/sarif.ts';
import type { ScanResult } from '../../../src/scan/types.ts';
import { sarifErrors } from '../../support/sarif.ts';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'team' };
const debug = { apiVersion: 'v1', kind: 'Pod', name: 'debug', namespace: 'team' };
const admin = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'admin-all' };

const result: ScanResult = {
  objects: [
    { object: web, location: { file: 'deploy/web.yaml', document: 1, line: 1 }, rules: ['pss/hostPorts', 'palisade/latestTag'] },
    { object: debug, location: { file: 'deploy/debug pod.yaml', document: 1, line: 1 }, rules: ['pss/hostPorts'] },
    { object: admin, location: { file: 'cluster', document: 0, line: 0 }, rules: ['palisade/wildcardVerbs'] },
  ],
  findings: [
    { rule: 'pss/hostPorts', severity: 'error', message: 'host ports (8080)', object: web, location: { file: 'deploy/web.yaml', document: 1, line: 12 } },
    {
      rule: 'palisade/latestTag', severity: 'warning', message: `image "nginx:latest" <floats> & won't pin\u0007`,
      object: web, location: { file: 'deploy/web.yaml', document: 1, line: 15 },
    },
    {
      rule: 'pss/hostPorts', severity: 'error', message: 'host ports (9090)', object: debug,
      location: { file: 'deploy/debug pod.yaml', document: 1, line: 9 }, suppressed: 'debug pod, removed after the incident',
    },
    { rule: 'palisade/wildcardVerbs', severity: 'error', message: 'verbs [*] on resources [*]', object: admin, location: { file: 'cluster', document: 0, line: 0 } },
  ],
  rules: [
    { id: 'pss/hostPorts', severity: 'error', title: 'Host ports', help: 'Drop hostPort; use a Service.', helpUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/' },
    { id: 'palisade/latestTag', severity: 'warning', title: 'Image tag :latest', help: 'Pin the image by digest.', helpUri: 'https://palisade.dev/rules/latest-tag' },
    { id: 'palisade/wildcardVerbs', severity: 'error', title: 'Wildcard verbs', help: 'List the verbs.', helpUri: 'https://palisade.dev/rules/wildcard-verbs' },
  ],
};

describe('sarifReport', function () {
  const output = sarifReport(result, { version: '1.2.3' });
  const log = JSON.parse(output) as Log;
  const [run] = log.runs;

  it('is valid against the SARIF 2.1.0 schema', function () {
    expect(sarifErrors(log)).to.equal(undefined);
  });

  // So that the test above is known to bite: what the reporter avoids, a live object's line 0 and a raw space, the schema refuses.
  it('would be refused with a region at line 0 or an unencoded path', function () {
    for (const physicalLocation of [{ artifactLocation: { uri: 'cluster' }, region: { startLine: 0 } }, { artifactLocation: { uri: 'deploy/debug pod.yaml' } }]) {
      const broken = { ...log, runs: [{ tool: { driver: { name: 'palisade' } }, results: [{ message: { text: 'x' }, locations: [{ physicalLocation }] }] }] };
      expect(sarifErrors(broken), JSON.stringify(physicalLocation)).to.be.a('string');
    }
  });

  it('is pretty-printed with a trailing newline', function () {
    expect(output).to.equal(`${JSON.stringify(log, null, 2)}\n`);
  });

  it('describes palisade and every rule', function () {
    const driver = run?.tool.driver;
    expect(driver).to.include({ name: 'palisade', version: '1.2.3', informationUri: 'https://github.com/palisade-dev/palisade' });
    expect(driver?.rules?.[0]).to.deep.equal({
      id: 'pss/hostPorts',
      name: 'hostPorts',
      shortDescription: { text: 'Host ports' },
      fullDescription: { text: 'Drop hostPort; use a Service.' },
      help: { text: 'Drop hostPort; use a Service.' },
      helpUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['security', 'pod-security'] },
    });
    expect(driver?.rules?.map((rule) => [rule.name, rule.defaultConfiguration?.level, rule.properties?.tags])).to.deep.equal([
      ['hostPorts', 'error', ['security', 'pod-security']],
      ['latestTag', 'warning', ['security']],
      ['wildcardVerbs', 'error', ['security']],
    ]);
  });

  it('gives each finding its rule, level, message, file and line', function () {
    expect(run?.results?.map((r) => [r.ruleId, r.ruleIndex, r.level, r.message.text])).to.deep.equal([
      ['pss/hostPorts', 0, 'error', 'host ports (8080)'],
      ['palisade/latestTag', 1, 'warning', `image "nginx:latest" <floats> & won't pin\u0007`],
      ['pss/hostPorts', 0, 'error', 'host ports (9090)'],
      ['palisade/wildcardVerbs', 2, 'error', 'verbs [*] on resources [*]'],
    ]);
    expect(run?.results?.map((r) => r.locations?.[0]?.physicalLocation)).to.deep.equal([
      { artifactLocation: { uri: 'deploy/web.yaml' }, region: { startLine: 12 } },
      { artifactLocation: { uri: 'deploy/web.yaml' }, region: { startLine: 15 } },
      { artifactLocation: { uri: 'deploy/debug%20pod.yaml' }, region: { startLine: 9 } },
      // A live object: in no file, its logical location alone.
      undefined,
    ]);
  });

  it('names the object as the logical location', function () {
    expect(run?.results?.map((r) => r.locations?.[0]?.logicalLocations)).to.deep.equal([
      [{ fullyQualifiedName: 'team/Deployment/web', name: 'web', kind: 'resource' }],
      [{ fullyQualifiedName: 'team/Deployment/web', name: 'web', kind: 'resource' }],
      [{ fullyQualifiedName: 'team/Pod/debug', name: 'debug', kind: 'resource' }],
      [{ fullyQualifiedName: 'ClusterRole/admin-all', name: 'admin-all', kind: 'resource' }],
    ]);
  });

  it('marks a suppressed finding with its reason, and the others as not suppressed', function () {
    expect(run?.results?.map((r) => r.suppressions)).to.deep.equal([
      [],
      [],
      [{ kind: 'inSource', justification: 'debug pod, removed after the incident' }],
      [],
    ]);
  });
});
