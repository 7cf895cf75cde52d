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

/** A map from string keys to values of the `value` schema (additionalProperties: structural schemas have no patternProperties). */
export function stringMap<T extends TSchema>(value: T, options: Options = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, ...options });
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
// RFC 1123 subdomain (at most 253 characters): the form of custom resource and ServiceAccount names.
const DNS1123_SUBDOMAIN_BODY = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
export const DNS1123_SUBDOMAIN = `^${DNS1123_SUBDOMAIN_BODY}$`;

// The API server's label rules (k8s.io/apimachinery/pkg/util/validation: IsQualifiedName,
// IsValidLabelValue). A value, and the name part of a key, is at most 63 alphanumerics, '-', '_'
// and '.', starting and ending alphanumeric (the value may be empty); a key may start with a DNS
// subdomain prefix of at most 253 characters and a '/'. The bound is in the pattern itself so that
// it holds for map keys too, which a structural schema cannot give a maxLength.
const LABEL_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]';
const LABEL_VALUE = `^(${LABEL_NAME})?$`;
const LABEL_KEY = `^(${DNS1123_SUBDOMAIN_BODY}/)?${LABEL_NAME}$`;
const LABEL_KEY_MAX_LENGTH = 253 + 1 + 63;
const LABEL_KEY_MESSAGE = 'must be a label key: an optional DNS subdomain prefix of at most 253 characters and "/", then a name of at most 63 '
  + 'alphanumerics, "-", "_" or ".", starting and ending alphanumeric';

/** CEL that is true when the label key `text` has a prefix of at most 253 characters (or none: indexOf is then -1). */
const labelKeyPrefixFits = (text: string) => `${text}.indexOf('/') <= 253`;

/** The same rules in TypeScript, for metadata.labels, which the CRD schema does not describe. */
const LABEL_KEY_REGEXP = new RegExp(LABEL_KEY);
const LABEL_VALUE_REGEXP = new RegExp(LABEL_VALUE);
export const isLabelKey = (key: string) => LABEL_KEY_REGEXP.test(key) && key.indexOf('/') <= 253;
export const isLabelValue = (value: string) => LABEL_VALUE_REGEXP.test(value);

export function dns1123Label(options: Options = {}) {
  return Type.String({ pattern: DNS1123_LABEL, maxLength: 63, ...options });
}

export function namespaceName(options: Options = {}) {
  return dns1123Label({ description: 'The name of a namespace.', ...options });
}

/** An IPv4 or IPv6 CIDR in canonical form, checked by the API server's own CIDR library as NetworkPolicy's ipBlock checks it. */
export function cidr(options: Options = {}) {
  return Type.String({
    maxLength: 43,
    ...cel(
      { rule: 'isCIDR(self)', message: 'must be a CIDR such as 10.0.0.0/8 or fd00::/8' },
      { rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()', message: 'must have no bits set past the prefix length: 10.0.0.0/8, not 10.0.0.1/8' },
    ),
    ...options,
  });
}

/** A label value, as a NetworkPolicy's selectors and a Namespace's labels must have it. */
function labelValue() {
  return Type.String({ maxLength: 63, pattern: LABEL_VALUE });
}

/** A label key, as the API server checks one. */
export function labelKey(options: Options = {}) {
  return Type.String({
    minLength: 1, maxLength: LABEL_KEY_MAX_LENGTH, pattern: LABEL_KEY,
    ...cel({ rule: labelKeyPrefixFits('self'), message: LABEL_KEY_MESSAGE }),
    ...options,
  });
}

const labelSelectorRequirement = Type.Object({
  key: labelKey(),
  operator: stringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: Type.Optional(Type.Array(labelValue(), { maxItems: 64 })),
}, cel({
  rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
  message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
}));

/** A metav1.LabelSelector. */
export function labelSelector(options: Options = {}) {
  return Type.Object({
    matchLabels: Type.Optional(stringMap(labelValue(), {
      maxProperties: 64,
      // Map keys have no schema of their own: CEL checks them.
      ...cel({ rule: `self.all(key, key.matches(r'${LABEL_KEY}') && ${labelKeyPrefixFits('key')})`, message: `every key ${LABEL_KEY_MESSAGE}` }),
    })),
    matchExpressions: Type.Optional(Type.Array(labelSelectorRequirement, { maxItems: 32 })),
  }, { 'x-kubernetes-map-type': 'atomic', ...options });
}

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

const objectRef = Type.Object({ kind: Type.String({ maxLength: 63 }), name: Type.String({ maxLength: 253 }) });

/** status.planned: in DryRun, the objects Enforce would apply, by kind and name. */
export function plannedObjects() {
  return keyedList(objectRef, ['kind', 'name'], { description: 'In DryRun, the objects Enforce would apply.' });
}
