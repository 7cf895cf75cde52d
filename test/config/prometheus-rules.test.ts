// config/prometheus: the alert rules pass promtool's own checks and unit tests (rules.test.yaml),
// the PrometheusRule is rules.yaml wrapped, and the rules and the dashboard use only metrics the
// operator exports (a renamed metric must not leave an alert that can never fire).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { promtool } from '../../harness/oracles.ts';
import { registerRotationMetrics } from '../../src/controllers/keyrotationschedule/metrics.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { exposedNames, metricNames, metricNamesUsed, readDashboard, readRules, RULES, RULES_TEST } from '../support/prometheus.ts';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, `${command} ${args.join(' ')}:\n${output}`).to.equal(0);
  return output;
}

/** What the operator registers: runtime metrics, the process ones, build info and every controller's (as runOperator and the controllers do). */
async function operatorMetricNames(): Promise<Set<string>> {
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  metrics.buildInfo('palisade_build_info', { version: 'test' });
  metrics.objectReadiness('NamespaceRingfence', () => []);
  registerRotationMetrics(metrics, () => []);
  return exposedNames(await metrics.registry.metrics());
}

describe('config/prometheus', function () {
  describe('with promtool', function () {
    let tool: string;
    before(function () {
      // A first build of promtool from its Go module takes minutes.
      this.timeout(1_800_000);
      tool = promtool();
    });

    it('the rule file passes promtool check rules', function () {
      expect(run(tool, ['check', 'rules', RULES])).to.match(/SUCCESS: \d+ rules found/);
    });

    it('each alert fires, and does not, as rules.test.yaml says (promtool test rules)', function () {
      this.timeout(60_000);
      expect(run(tool, ['test', 'rules', RULES_TEST])).to.include('SUCCESS');
    });
  });

  it('tests every alert in rules.test.yaml', function () {
    const tests = readFileSync(RULES_TEST, 'utf8');
    for (const { alert } of readRules().groups.flatMap((group) => group.rules)) {
      expect(tests, `${alert} is tested`).to.match(new RegExp(`alertname: ${alert}\\n`));
    }
  });

  it('ships prometheusrule.yaml as rules.yaml wrapped (node hack/prometheus-rule.ts)', function () {
    run(process.execPath, [new URL('../../hack/prometheus-rule.ts', import.meta.url).pathname, '--check']);
  });

  it('gives each alert a severity, a summary and a description', function () {
    for (const rule of readRules().groups.flatMap((group) => group.rules)) {
      const rec = rule as { alert: string; labels?: { severity?: string }; annotations?: Record<string, string> };
      expect(rec.labels?.severity, rec.alert).to.be.oneOf(['warning', 'critical']);
      expect(rec.annotations, rec.alert).to.have.keys('summary', 'description');
    }
  });

  it('uses only metric names the operator exports, in the rules, their tests and the dashboard', async function () {
    const exported = await operatorMetricNames();
    const used = metricNamesUsed();
    expect(used.size).to.be.greaterThan(20);
    const stale = [...used].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${[...new Set(where)].join(', ')})`);
    expect(stale, 'names no metric of the operator has').to.deep.equal([]);
  });

  it('has a dashboard whose panels each query something, with unique ids', function () {
    const dashboard = readDashboard();
    expect(dashboard.uid).to.equal('palisade-operator');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length, panel.title).to.be.greaterThan(0);
      for (const target of panel.targets ?? []) expect(metricNames(target.expr ?? ''), panel.title).to.have.length.greaterThan(0);
    }
  });
});

describe('metricNames', function () {
  it('finds the metrics of an expression, not its functions, labels, keywords or Grafana variables', function () {
    expect(metricNames('histogram_quantile(0.99, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{controller=~"a|b"}[$__rate_interval])))'))
      .to.deep.equal(['controller_runtime_reconcile_time_seconds_bucket']);
    expect(metricNames('(max(leader_election_master_status{name="x"}) or vector(0)) < 1')).to.deep.equal(['leader_election_master_status']);
    expect(metricNames('time() - max by (name) (a_seconds) > 3600 and on (name) b_total offset 5m unless c'))
      .to.deep.equal(['a_seconds', 'b_total', 'c']);
    expect(metricNames('palisade_heap_used_bytes / palisade_heap_limit_bytes > 0.9e1')).to.deep.equal(['palisade_heap_used_bytes', 'palisade_heap_limit_bytes']);
  });
});
