// Kubernetes-flavoured schema builders on top of TypeBox. TypeBox gives us the static types;
// these helpers keep the emitted OpenAPI structural (every node typed, maps as
// additionalProperties, no anyOf), which is what the API server requires of a CRD.
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

export { Type, type Static, type TSchema };

type Options = Record<string, unknown>;

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** CEL rules a node must satisfy (`x-kubernetes-validations`). */
export function cel(...rules: CelRule[]): Options {
  return { 'x-kubernetes-validations': rules };
}

export function stringEnum<const V extends readonly string[]>(values: V, options: Options = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

export function stringMap(options: Options = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, ...options });
}

/** A list whose items are sets of scalars: duplicates are rejected by the API server. */
export function stringSet<T extends TSchema>(item: T, options: Options = {}) {
  return Type.Array(item, { 'x-kubernetes-list-type': 'set', ...options });
}

/** A list of objects merged by key under server-side apply. */
export function keyedList<T extends TSchema>(item: T, keys: string[], options: Options = {}) {
  return Type.Array(item, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys, ...options });
}

// RFC 1123 label: the form of namespace names and most other object names.
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export function dns1123Label(options: Options = {}) {
  return Type.String({ pattern: DNS1123_LABEL, maxLength: 63, ...options });
}

export function namespaceName(options: Options = {}) {
  return dns1123Label({ description: 'The name of a namespace.', ...options });
}

/** An IPv4 or IPv6 CIDR, checked by the API server's own CIDR library. */
export function cidr(options: Options = {}) {
  return Type.String({
    maxLength: 43,
    ...cel({ rule: 'isCIDR(self)', message: 'must be a CIDR such as 10.0.0.0/8 or fd00::/8' }),
    ...options,
  });
}

const labelSelectorRequirement = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 317 }),
  operator: stringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 64 })),
}, cel({
  rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
  message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
}));

/** A metav1.LabelSelector. */
export function labelSelector(options: Options = {}) {
  return Type.Object({
    matchLabels: Type.Optional(stringMap({ maxProperties: 64 })),
    matchExpressions: Type.Optional(Type.Array(labelSelectorRequirement, { maxItems: 32 })),
  }, { 'x-kubernetes-map-type': 'atomic', ...options });
}
export type LabelSelector = Static<ReturnType<typeof labelSelector>>;

/** CEL that is true when a labelSelector node selects something narrower than everything. */
export const SELECTOR_IS_NOT_EMPTY =
  '(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)';

const condition = Type.Object({
  type: Type.String({ maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' }),
  status: stringEnum(['True', 'False', 'Unknown']),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  reason: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
  message: Type.String({ maxLength: 32768 }),
});

/** status.conditions as the Kubernetes API conventions define them (metav1.Condition). */
export function conditions() {
  return keyedList(condition, ['type'], { maxItems: 16, description: 'The latest observations of the resource\'s state.' });
}

export function observedGeneration() {
  return Type.Integer({ format: 'int64', minimum: 0, description: 'The metadata.generation the status describes.' });
}
