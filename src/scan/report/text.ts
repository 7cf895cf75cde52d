// The table a person reads: findings grouped by object, worst first within each, then a summary
// line. Suppressed findings stay, marked, with their reason.
import { refName, type Finding, type ScannedObject, type ScanResult } from '../types.ts';
import { groupByObject, summary } from './summary.ts';

const LABELS = { error: 'ERROR', warning: 'WARNING' } as const;

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function line(finding: Finding, ruleWidth: number): string {
  const label = finding.suppressed === undefined ? LABELS[finding.severity] : 'SUPPRESSED';
  const where = finding.location.line > 0 ? `line ${finding.location.line}` : '';
  const why = finding.suppressed === undefined ? '' : ` [${finding.suppressed}]`;
  return `  ${label.padEnd(10)} ${finding.rule.padEnd(ruleWidth)} ${finding.message}${why}${where ? `  (${where})` : ''}`;
}

function heading(object: ScannedObject): string {
  const { file, document, line: at } = object.location;
  const place = document > 0 ? `${file}:${at} (document ${document})` : file;
  const target = object.podSecurity ? `, Pod Security ${object.podSecurity.level}:${object.podSecurity.version} from ${object.podSecurity.from}` : '';
  return `${refName(object.object)}  ${place}${target}`;
}

export function textReport(result: ScanResult): string {
  const ruleWidth = result.findings.reduce((width, finding) => Math.max(width, finding.rule.length), 0);
  const groups = groupByObject(result);
  const sections = result.objects.flatMap((object) => {
    const findings = groups.get(object) ?? [];
    return findings.length === 0 ? [] : [[heading(object), ...findings.map((finding) => line(finding, ruleWidth))].join('\n')];
  });
  const { objects, withFindings, error, warning, suppressed } = summary(result);
  const totals = `${count(objects, 'object')} scanned, ${withFindings} with findings: ${count(error, 'error')}, ${count(warning, 'warning')}, ${suppressed} suppressed`;
  return `${[...sections, totals].join('\n\n')}\n`;
}
