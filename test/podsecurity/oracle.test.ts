// src/podsecurity against the official evaluator, k8s.io/pod-security-admission v0.37.2
// (harness/pss-oracle), in one oracle process: every golden fixture the module ships, at its level and
// version, and seeded generated pods. The failed checks must be the same, in the same order, with the
// same ForbiddenReason and ForbiddenDetail; a fixture's verdict must be its directory's. Needs Go on
// PATH, as CI has; the first build downloads the module and k8s.io/api from the Go module proxy.
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { goldenFixtures, moduleDirectory, type Fixture } from '../../harness/pss-oracle/fixtures.ts';
import { pssOracle, pssOracleBinary, type OracleRequest } from '../../harness/pss-oracle/oracle.ts';
import { generatedPods } from '../../harness/pss-oracle/pods.ts';
import { CHECKS, checkOfReason, evaluate, type Failure } from '../../src/podsecurity/index.ts';

const GENERATED = 800;

const ours = ({ level, version, pod, template }: OracleRequest): Failure[] => evaluate(pod, { level, version, podObject: !template }).failures;

const asRequest = ({ level, version, pod }: Fixture): OracleRequest => ({ level, version, pod: pod as OracleRequest['pod'] });

/** Each request where src/podsecurity and the oracle disagree, written out. */
function disagreements(requests: readonly OracleRequest[], theirs: readonly Failure[][], name: (index: number) => string): string[] {
  return requests.flatMap((request, index) => {
    const mine = ours(request);
    return isDeepStrictEqual(mine, theirs[index]) ? [] : [`${name(index)}\n  oracle:         ${JSON.stringify(theirs[index])}\n  src/podsecurity: ${JSON.stringify(mine)}`];
  });
}

describe('src/podsecurity evaluates pods as k8s.io/pod-security-admission does', function () {
  let fixtures: Fixture[];
  let generated: OracleRequest[];
  let oracleFixtures: Failure[][];
  let oracleGenerated: Failure[][];
  before(function () {
    // A first build compiles k8s.io/api and the module: a few minutes on 2 cores.
    this.timeout(900_000);
    pssOracleBinary();
    fixtures = goldenFixtures(moduleDirectory());
    generated = generatedPods(GENERATED);
    const answers = pssOracle([...fixtures.map(asRequest), ...generated]);
    oracleFixtures = answers.slice(0, fixtures.length);
    oracleGenerated = answers.slice(fixtures.length);
  });

  it('reads every golden fixture of the module, at both levels and every version from v1.0', function () {
    expect(fixtures.length).to.be.at.least(4500);
    expect(new Set(fixtures.map(({ level, version }) => `${level}/${version}`)).size).to.equal(2 * 38);
  });

  it('gives each fixture the verdict its directory names, as the oracle does', function () {
    const wrong = fixtures.flatMap((fixture, index) => {
      const verdicts = { oracle: oracleFixtures[index]!.length === 0, ours: ours(asRequest(fixture)).length === 0 };
      return verdicts.oracle === fixture.pass && verdicts.ours === fixture.pass ? [] : [`${fixture.path}: ${JSON.stringify(verdicts)}`];
    });
    expect(wrong, wrong.slice(0, 20).join('\n')).to.deep.equal([]);
  });

  it('fails every fixture on the same checks as the oracle, with the same messages', function () {
    const differences = disagreements(fixtures.map(asRequest), oracleFixtures, (index) => fixtures[index]!.path);
    expect(differences.length, `${differences.length} of ${fixtures.length} fixtures differ, such as\n${differences.slice(0, 10).join('\n')}\n`).to.equal(0);
  });

  it('generates pods that fail every check and pass, at many versions', function () {
    const failing = new Set(oracleGenerated.flat().map(({ id }) => id));
    expect([...failing].sort()).to.deep.equal(CHECKS.map(({ id }) => id).sort());
    expect(oracleGenerated.filter((failures) => failures.length === 0).length, 'allowed pods').to.be.at.least(GENERATED / 10);
    expect(oracleGenerated.filter((failures) => failures.length >= 2).length, 'pods failing several checks').to.be.at.least(GENERATED / 10);
    expect(new Set(generated.map(({ version }) => version)).size).to.be.at.least(20);
  });

  it('fails every generated pod on the same checks as the oracle, with the same messages', function () {
    const differences = disagreements(generated, oracleGenerated, (index) => `generated pod ${index}: ${JSON.stringify(generated[index])}`);
    expect(differences.length, `${differences.length} of ${generated.length} pods differ, such as\n${differences.slice(0, 5).join('\n')}\n`).to.equal(0);
  });

  it('names, from each reason the oracle gives, the check that gave it at that level and version', function () {
    const requests = [...fixtures.map(asRequest), ...generated];
    const wrong = [...oracleFixtures, ...oracleGenerated].flatMap((failures, index) => failures.flatMap(({ id, reason }) => {
      const { level, version } = requests[index]!;
      const named = checkOfReason(reason, level, version);
      return named === `pss/${id}` ? [] : [`${level}:${version} "${reason}": ${named} for ${id}`];
    }));
    expect([...new Set(wrong)].slice(0, 10)).to.deep.equal([]);
    expect(new Set([...oracleFixtures, ...oracleGenerated].flat().map(({ reason }) => reason)).size).to.be.at.least(18);
  });
});
