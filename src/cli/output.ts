// -o: how a command prints objects, as kubectl's -o yaml and -o json do.
import { dump } from 'js-yaml';
import { UsageError } from './usage.ts';

export const OUTPUT_FORMATS = ['yaml', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_FLAG = '  -o, --output yaml|json     yaml: a stream of documents (the default); json: one v1 List, as kubectl prints';

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'yaml';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`-o ${value}: not an output format; use yaml or json`);
}

/**
 * The objects in `format`: YAML documents separated by `---`, or JSON; several objects (or a list
 * wanted) in JSON are one v1 List, as `kubectl get -o json` prints them.
 */
export function formatObjects(objects: readonly unknown[], format: OutputFormat, { list = true } = {}): string {
  if (format === 'yaml') return objects.map((object) => dump(object, { lineWidth: 120, noRefs: true })).join('---\n');
  const value = list ? { apiVersion: 'v1', kind: 'List', metadata: {}, items: objects } : objects[0];
  return `${JSON.stringify(value, null, 2)}\n`;
}
