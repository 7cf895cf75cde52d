// `palisade scan` as JUnit XML, which CI systems (Jenkins, GitLab, ...) show as test results: one test
// suite per scanned object, one test case per rule it was checked against, failed by that rule's findings.
import { refName, type Finding, type ScanResult, type ScannedObject } from '../types.ts';
import { groupByObject } from './summary.ts';

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
}

export function junitReport(result: ScanResult): string {
  const groups = groupByObject(result);
  const total: Counts = { tests: 0, failures: 0, skipped: 0 };
  const suites = result.objects.map((object) => {
    const suite = testSuite(object, groups.get(object) ?? []);
    total.tests += suite.counts.tests;
    total.failures += suite.counts.failures;
    total.skipped += suite.counts.skipped;
    return suite.xml;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="palisade scan"${countAttributes(total)}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function testSuite(object: ScannedObject, findings: readonly Finding[]): { xml: string; counts: Counts } {
  const byRule = Map.groupBy(findings, (finding) => finding.rule);
  const name = refName(object.object);
  const file = object.location.file;
  const counts: Counts = { tests: object.rules.length, failures: 0, skipped: 0 };
  const cases = object.rules.map((rule) => {
    const ofRule = byRule.get(rule) ?? [];
    const failed = ofRule.filter((finding) => finding.suppressed === undefined);
    const open = `    <testcase name="${attribute(rule)}" classname="${attribute(name)}" file="${attribute(file)}"`;
    if (failed.length > 0) {
      counts.failures++;
      return [`${open}>`, ...failed.map(failure), '    </testcase>'].join('\n');
    }
    if (ofRule.length > 0) {
      counts.skipped++;
      const reasons = [...new Set(ofRule.map((finding) => finding.suppressed))].join('; ');
      return `${open}>\n      <skipped message="${attribute(`suppressed: ${reasons}`)}"/>\n    </testcase>`;
    }
    return `${open}/>`;
  });
  const xml = [`  <testsuite name="${attribute(name)}"${countAttributes(counts)} file="${attribute(file)}">`, ...cases, '  </testsuite>'].join('\n');
  return { xml, counts };
}

function failure({ rule, severity, message, location }: Finding): string {
  const where = location.line > 0 ? `${location.file}:${location.line}` : location.file;
  return `      <failure message="${attribute(message)}" type="${attribute(rule)}">${text(`${severity}: ${message}\nat ${where}`)}</failure>`;
}

// `errors` is always 0 (a finding is a failure, not an error); it is written because readers that follow Ant's schema expect it.
function countAttributes({ tests, failures, skipped }: Counts): string {
  return ` tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}"`;
}

/** Characters XML 1.0 cannot carry at all, even as references: they are dropped. */
const UNREPRESENTABLE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const REFERENCES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
type Referenced = keyof typeof REFERENCES;

// A reader turns a literal tab or newline in an attribute, and a carriage return anywhere, into something else.
function attribute(value: string): string {
  return value.replace(UNREPRESENTABLE, '').replace(/[&<>"'\t\n\r]/g, (c) => REFERENCES[c as Referenced]);
}

function text(value: string): string {
  return value.replace(UNREPRESENTABLE, '').replace(/[&<>"'\r]/g, (c) => REFERENCES[c as Referenced]);
}
