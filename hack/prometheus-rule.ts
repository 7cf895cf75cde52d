// Writes config/prometheus/prometheusrule.yaml: config/prometheus/rules.yaml, the one source of the
// alerts, wrapped as a prometheus-operator PrometheusRule (its groups under spec, comments kept).
// With --check it writes nothing and fails if the file differs from what rules.yaml makes.
import { readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../config/prometheus/', import.meta.url);
const RULES = new URL('rules.yaml', dir);
const OUT = new URL('prometheusrule.yaml', dir);

/** The PrometheusRule of a rule file's text: its leading comment dropped, the rest indented under spec. */
export function prometheusRule(rules: string): string {
  const body = rules.replace(/^(#.*\n)+/, '');
  if (!body.startsWith('groups:')) throw new Error('rules.yaml must start with its comment, then groups:');
  const indented = body.split('\n').map((line) => (line ? `  ${line}` : line)).join('\n');
  return `# Generated from rules.yaml by \`node hack/prometheus-rule.ts\`. Do not edit.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: palisade
  namespace: palisade-system
  labels:
    app.kubernetes.io/name: palisade
    app.kubernetes.io/component: alerts
spec:
${indented}`;
}

const want = prometheusRule(readFileSync(RULES, 'utf8'));
if (process.argv.includes('--check')) {
  let have = '';
  try {
    have = readFileSync(OUT, 'utf8');
  } catch {
    // Missing: stale.
  }
  if (have !== want) {
    console.error('config/prometheus/prometheusrule.yaml is out of date with rules.yaml: run `node hack/prometheus-rule.ts`.');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, want);
}
