// The CRD reference (docs/reference.md) written from the same schemas as the CRDs: every field
// with its type, default and description, the printer columns and the conditions.
import type { KindDefinition } from './crd.ts';
import { API_VERSION, readyDetailColumns } from './crd.ts';

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(schema: Schema): string {
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(' or ');
  if (schema.type === 'array') return `[]${schema.items ? typeOf(schema.items) : 'any'}`;
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') return `map[string]${typeOf(schema.additionalProperties)}`;
  return schema.type ?? 'any';
}

function rows(schema: Schema, path: string, required: boolean): string[] {
  const line = `| \`${path}\` | ${cell(typeOf(schema))}${required ? ' (required)' : ''} | ${schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``} | ${cell(schema.description ?? '')} |`;
  const children = schema.properties ?? (schema.type === 'array' ? schema.items?.properties : undefined);
  const requiredChildren = (schema.type === 'array' ? schema.items?.required : schema.required) ?? [];
  if (!children || path.endsWith('.conditions') || path.endsWith('Selector')) return [line];
  const prefix = schema.type === 'array' ? `${path}[]` : path;
  return [line, ...Object.entries(children).flatMap(([name, child]) => rows(child, `${prefix}.${name}`, requiredChildren.includes(name)))];
}

function table(schema: Schema, root: string): string {
  const body = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => rows(child, `${root}.${name}`, (schema.required ?? []).includes(name)));
  return ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |', ...body].join('\n');
}

export function reference(kinds: KindDefinition[]): string {
  const sections = kinds.map((kind) => [
    `## ${kind.kind}`,
    '',
    `\`${API_VERSION}\`, ${kind.scope === 'Cluster' ? 'cluster-scoped' : 'namespaced'}; \`kubectl get ${kind.plural}\` (${kind.shortNames.map((n) => `\`${n}\``).join(', ')}). ${kind.description}`,
    '',
    '### spec',
    '',
    table(kind.spec as Schema, 'spec'),
    '',
    '### status',
    '',
    table(kind.status as Schema, 'status'),
    '',
    '### Conditions',
    '',
    '| Type | True when |',
    '| --- | --- |',
    ...kind.conditions.map(({ type, meaning }) => `| \`${type}\` | ${cell(meaning)} |`),
    '',
    `Printer columns: ${kind.printerColumns.map((column) => column.name).join(', ')}, Age; \`-o wide\` adds ${readyDetailColumns.map((column) => column.name).join(' and ')} of the Ready condition before Age.`,
  ].join('\n'));
  return ['# CRD reference', '', 'Generated from `src/api` by `make crds`; do not edit.', '', ...sections.flatMap((s) => [s, ''])].join('\n');
}
