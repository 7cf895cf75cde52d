// Offline validation of a resource against its kind's schema, for tools that run without a
// cluster (`palisade render`). It checks what the structural schema says (types, enums, patterns,
// ranges, required and unknown fields) and fills in defaults; the CEL rules only the API server checks.
import { Value } from 'typebox/value';
import type { KindDefinition } from './crd.ts';
import { FieldError } from './field-error.ts';


type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: unknown };

/** The schema with unknown fields refused, as the API server's strict field validation does. */
function strict(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([name, child]) => [name, strict(child)]));
    copy.additionalProperties = false;
  }
  if (copy.items) copy.items = strict(copy.items);
  return copy;
}

/** The spec with defaults filled in; throws FieldError naming the first field at fault. */
export function validateSpec<T>(kind: KindDefinition, spec: unknown): T {
  const schema = strict(JSON.parse(JSON.stringify(kind.spec)) as Schema);
  const [error] = Value.Errors(schema, spec);
  if (error) {
    const field = `spec${error.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
    // additionalProperties: false reaches an unknown field as the schema `false`.
    const detail = error.message === 'schema is false' ? 'unknown field' : error.message;
    throw new FieldError(field, detail);
  }
  return Value.Default(kind.spec, structuredClone(spec)) as T;
}
