// What the scan tests share: YAML written inline, and a scan of it as the CLI runs one.
import { validatePalisadeResource } from '../../src/scan/palisade-resources.ts';
import { scan } from '../../src/scan/scan.ts';
import { subjectsOf } from '../../src/scan/subjects.ts';
import type { ScanOptions } from '../../src/scan/context.ts';
import type { ScanResult } from '../../src/scan/types.ts';

export const FILE = 'manifests.yaml';
export const OPTIONS: ScanOptions = { level: 'auto', version: 'latest', defaultNamespace: 'default' };

/** The text between the backticks less its common indentation: line 1 is the line after the opening backtick. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, part, index) => `${out}${index > 0 ? String(values[index - 1]) : ''}${part}`, '');
  const lines = text.replace(/^\n/, '').replace(/\n *$/, '').split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return `${lines.map((line) => line.slice(indent)).join('\n')}\n`;
}

/** `text` as the file manifests.yaml, scanned with OPTIONS and `options`. */
export const scanOf = (text: string, options: Partial<ScanOptions> = {}): ScanResult =>
  scanSubjects(subjectsOf(FILE, text, 'default'), options);

export const scanSubjects = (subjects: ReturnType<typeof subjectsOf>, options: Partial<ScanOptions> = {}): ScanResult =>
  scan(subjects, { ...OPTIONS, ...options }, validatePalisadeResource);
