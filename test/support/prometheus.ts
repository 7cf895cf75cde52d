// What config/prometheus asks of the operator's metrics: the metric names its alert rules, their
// tests and the Grafana dashboard use, for tests that hold them against what the operator exports.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

const DIR = new URL('../../config/prometheus/', import.meta.url);
export const RULES = new URL('rules.yaml', DIR).pathname;
export const RULES_TEST = new URL('rules.test.yaml', DIR).pathname;
export const DASHBOARD = new URL('dashboard.json', DIR).pathname;

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan']);
/** Metric names quoted in annotation prose. */
const PROSE_NAME = /\b(?:palisade|process|nodejs|controller_runtime|workqueue|leader_election)_[a-z0-9_]+/g;

/** The metric names a PromQL expression (or a Grafana target's, with $variables) selects. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = [...bare.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map((match) => match[1]!);
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))];
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }[] }[];
}
interface RuleTests {
  tests: { input_series?: { series: string }[] }[];
}
interface Dashboard {
  uid: string;
  panels: { id: number; title: string; type: string; targets?: { expr?: string }[]; panels?: Dashboard['panels'] }[];
}

export const readRules = () => load(readFileSync(RULES, 'utf8')) as RuleFile;
export const readDashboard = () => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** Every metric name config/prometheus uses, with where: the alerts (expressions and prose), their tests' input series, the dashboard. */
export function metricNamesUsed(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (names: Iterable<string>, where: string) => {
    for (const name of names) used.set(name, [...(used.get(name) ?? []), where]);
  };
  for (const group of readRules().groups) {
    for (const rule of group.rules) {
      const where = `rules.yaml ${rule.alert ?? rule.record}`;
      add(metricNames(rule.expr), where);
      for (const text of Object.values(rule.annotations ?? {})) add(new Set(text.match(PROSE_NAME) ?? []), `${where} annotations`);
    }
  }
  for (const test of (load(readFileSync(RULES_TEST, 'utf8')) as RuleTests).tests) {
    // `up` stands for some other target being scraped, not one of ours.
    add(new Set((test.input_series ?? []).map(({ series }) => /^[a-zA-Z_:][\w:]*/.exec(series)![0]).filter((name) => name !== 'up')), 'rules.test.yaml');
  }
  const panels = (list: Dashboard['panels']): Dashboard['panels'] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
  for (const panel of panels(readDashboard().panels)) {
    for (const target of panel.targets ?? []) add(metricNames(target.expr ?? ''), `dashboard.json "${panel.title}"`);
  }
  return used;
}

/** The sample names a metric of this type exposes: a histogram's _bucket, _sum and _count, say. */
export function sampleNames(name: string, type: string): string[] {
  if (type === 'histogram') return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** The sample names a /metrics text declares (# TYPE lines), with or without samples. */
export function exposedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((match) => sampleNames(match[1]!, match[2]!)));
}
