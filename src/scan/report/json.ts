// `palisade scan -o json`: the summary, every object scanned (with the Pod Security level it was
// held to) and every finding, for scripts and dashboards. The rules each object passed are left
// out: ten thousand objects would repeat some thirty IDs each (JUnit lists them, as test cases).
import type { ScanResult } from '../types.ts';
import { summary } from './summary.ts';

export const jsonReport = (result: ScanResult): string => {
  const objects = result.objects.map(({ rules: _rules, ...object }) => object);
  return `${JSON.stringify({ summary: summary(result), objects, findings: result.findings }, null, 2)}\n`;
};
