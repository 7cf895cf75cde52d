// Offline validation of a Palisade resource as the API server validates it on create, for tools
// that run without a cluster (`palisade render`): from the kind's generated CRD schema, nulls are
// pruned and defaults filled in, then the structural schema (types, enums, patterns, ranges,
// required and unknown fields, list-type set and map uniqueness), metadata (name, namespace,
// labels) and every x-kubernetes-validations CEL rule of the CRD are checked.
import { Value } from 'typebox/value';
import { compileRule, type Rule } from './cel.ts';
import { customResourceDefinition, type KindDefinition } from './crd.ts';
import { FieldError } from './field-error.ts';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, isLabelKey, isLabelValue, type CelRule } from './schema.ts';

interface Schema {
  type?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelRule[];
}

type Json = Record<string, unknown>;

/** A resource the API server would refuse: every field at fault, in the API server's paths. */
export class InvalidResource extends Error {
  readonly errors: FieldError[];

  constructor(errors: FieldError[]) {
    super(errors.map((error) => error.message).join('\n'));
    this.name = 'InvalidResource';
    this.errors = errors;
  }
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function rootSchema(kind: KindDefinition): Schema {
  return customResourceDefinition(kind).spec.versions[0]!.schema.openAPIV3Schema;
}

/** The schema of a map's values, when the node is a map. */
const mapValues = (schema: Schema) => (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);

/** The schema of an object node's field, or of its entry `key` when it is a map. */
const schemaOf = (schema: Schema, key: string) => mapValues(schema) ?? schema.properties?.[key];

// Paths are the API server's: `spec.egress.to[0].ipBlock`, and a map entry as a field (`matchLabels.app`).
const fieldPath = (path: string, field: string) => (path ? `${path}.${field}` : field);

/** Every node of `value` that `schema` describes, with its schema and its path. */
function* nodes(schema: Schema, value: unknown, path: string): Generator<[Schema, unknown, string]> {
  yield [schema, value, path];
  if (Array.isArray(value) && schema.items) {
    for (const [index, item] of value.entries()) yield* nodes(schema.items, item, `${path}[${index}]`);
  } else if (isObject(value)) {
    for (const [key, entry] of Object.entries(value)) {
      const entrySchema = schemaOf(schema, key);
      if (entrySchema) yield* nodes(entrySchema, entry, fieldPath(path, key));
    }
  }
}

/** Null-valued fields are pruned, as the API server does for fields that are not nullable. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, child]) => child !== null).map(([key, child]) => [key, withoutNulls(child)]));
}

/** Structural defaulting: an absent field with a default gets it, and what is then there is defaulted in turn. */
function withDefaults(schema: Schema, value: unknown): unknown {
  const { items } = schema;
  if (Array.isArray(value)) return items ? value.map((item: unknown) => withDefaults(items, item)) : value;
  if (!isObject(value)) return value;
  const result: Json = { ...value };
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && field.default !== undefined) result[key] = structuredClone(field.default);
  }
  for (const [key, entry] of Object.entries(result)) {
    const entrySchema = schemaOf(schema, key);
    if (entrySchema) result[key] = withDefaults(entrySchema, entry);
  }
  return result;
}

/** The schema with unknown fields refused, as the API server's strict field validation (kubectl's default) does. */
function strict(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([name, child]) => [name, strict(child)]));
    copy.additionalProperties = false;
  }
  if (copy.items) copy.items = strict(copy.items);
  return copy;
}

/** The API server's path of a JSON pointer into the node at `base`. */
function pathOf(schema: Schema, base: string, pointer: string): string {
  let node: Schema | undefined = schema;
  let path = base;
  for (const segment of pointer.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))) {
    path = node?.type === 'array' ? `${path}[${segment}]` : fieldPath(path, segment);
    node = node?.type === 'array' ? node.items : node && schemaOf(node, segment);
  }
  return path;
}

function schemaErrors(schema: Schema, value: unknown, base: string): FieldError[] {
  return [...Value.Errors(strict(schema), value)]
    // An unknown field is reported at the field itself; its parent's summary of it would say it twice.
    .filter((error) => error.keyword !== 'additionalProperties')
    .map((error) => new FieldError(pathOf(schema, base, error.instancePath), error.message === 'schema is false' ? 'unknown field' : error.message));
}

/** x-kubernetes-list-type: a set has no item twice, a map no two items with the same keys. */
function listErrors(schema: Schema, value: unknown, base: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [node, list, path] of nodes(schema, value, base)) {
    const type = node['x-kubernetes-list-type'];
    if (!Array.isArray(list) || (type !== 'set' && type !== 'map')) continue;
    const keys = node['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    for (const [index, item] of list.entries()) {
      const identity = JSON.stringify(type === 'set' ? item : keys.map((key) => (isObject(item) ? item[key] : undefined)));
      if (seen.has(identity)) errors.push(new FieldError(`${path}[${index}]`, `Duplicate value: ${identity}`));
      seen.add(identity);
    }
  }
  return errors;
}

const DNS_SUBDOMAIN_MESSAGE = 'must be a lowercase RFC 1123 subdomain of at most 253 characters: a-z, 0-9, "-" and ".", starting and ending alphanumeric';

function nameErrors(name: unknown): FieldError[] {
  if (typeof name !== 'string' || name === '') return [new FieldError('metadata.name', 'Required value: a name is required')];
  if (name.length > 253 || !new RegExp(DNS1123_SUBDOMAIN).test(name)) return [new FieldError('metadata.name', `Invalid value: "${name}": ${DNS_SUBDOMAIN_MESSAGE}`)];
  return [];
}

function namespaceErrors(kind: KindDefinition, namespace: unknown): FieldError[] {
  if (kind.scope !== 'Namespaced' || namespace === undefined) return [];
  if (typeof namespace === 'string' && namespace.length <= 63 && new RegExp(DNS1123_LABEL).test(namespace)) return [];
  return [new FieldError('metadata.namespace', `Invalid value: ${JSON.stringify(namespace)}: must be a lowercase RFC 1123 label`)];
}

function labelErrors(labels: unknown): FieldError[] {
  if (labels === undefined) return [];
  if (!isObject(labels)) return [new FieldError('metadata.labels', 'must be a map of label keys to label values')];
  return Object.entries(labels).flatMap(([key, value]) => [
    ...(isLabelKey(key) ? [] : [new FieldError('metadata.labels', `Invalid value: "${key}": not a label key`)]),
    ...(typeof value === 'string' && isLabelValue(value) ? [] : [new FieldError('metadata.labels', `Invalid value: ${JSON.stringify(value)}: not a label value`)]),
  ]);
}

/** What the API server checks of metadata for a custom resource (ValidateObjectMeta, NameIsDNSSubdomain). */
function metadataErrors(kind: KindDefinition, metadata: unknown): FieldError[] {
  if (!isObject(metadata)) return [new FieldError('metadata.name', 'Required value: a name is required')];
  return [...nameErrors(metadata.name), ...namespaceErrors(kind, metadata.namespace), ...labelErrors(metadata.labels)];
}

/** The value as CEL sees it under its schema: integers are CEL ints (bigint), every other number a double. */
function celValue(schema: Schema, value: unknown): unknown {
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(value);
  if (Array.isArray(value)) return value.map((item: unknown) => (schema.items ? celValue(schema.items, item) : item));
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => {
    const entrySchema = schemaOf(schema, key);
    return [key, entrySchema ? celValue(entrySchema, entry) : entry];
  }));
}

const compiled = new Map<string, Rule>();

function ruleFor(expression: string): Rule {
  let rule = compiled.get(expression);
  if (!rule) compiled.set(expression, rule = compileRule(expression));
  return rule;
}

// Transition rules (those reading oldSelf) run only on update; render checks what a create would.
const TRANSITION_RULE = /\boldSelf\b/;

function ruleError({ rule, message, fieldPath = '', reason }: CelRule, self: unknown, path: string): FieldError | undefined {
  let failure: string | undefined;
  try {
    if (!ruleFor(rule)(self)) failure = message;
  } catch (error) {
    failure = `${message}: evaluating ${rule}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (failure === undefined) return undefined;
  return new FieldError(`${path}${fieldPath}`, reason === 'FieldValueRequired' ? `Required value: ${failure}` : failure);
}

function celErrors(schema: Schema, value: unknown, base: string): FieldError[] {
  return [...nodes(schema, celValue(schema, value), base)].flatMap(([node, self, path]) => (node['x-kubernetes-validations'] ?? [])
    .filter(({ rule }) => !TRANSITION_RULE.test(rule))
    .map((rule) => ruleError(rule, self, path))
    .filter((error) => error !== undefined));
}

/**
 * The node at `base` as the API server would store it (nulls pruned, defaults filled in); throws
 * InvalidResource naming every field it would refuse. CEL rules are checked once the structure is
 * right, as they can only be then.
 */
function validated(schema: Schema, value: unknown, base: string, otherErrors: (defaulted: Json) => FieldError[] = () => []): unknown {
  const defaulted = withDefaults(schema, withoutNulls(value));
  const structural = [...(isObject(defaulted) ? otherErrors(defaulted) : []), ...schemaErrors(schema, defaulted, base), ...listErrors(schema, defaulted, base)];
  const errors = structural.length > 0 ? structural : celErrors(schema, defaulted, base);
  if (errors.length > 0) throw new InvalidResource(errors);
  return defaulted;
}

/** The resource as a create would store it, status left out as the status subresource does; throws InvalidResource. */
export function validateResource(kind: KindDefinition, object: Json): Json {
  const withoutStatus = Object.fromEntries(Object.entries(object).filter(([field]) => field !== 'status'));
  return validated(rootSchema(kind), withoutStatus, '', (resource) => metadataErrors(kind, resource.metadata)) as Json;
}

/** A spec on its own, checked and defaulted as validateResource does it in its object. */
export function validateSpec<T>(kind: KindDefinition, spec: unknown): T {
  return validated(rootSchema(kind).properties!.spec!, spec, 'spec') as T;
}
