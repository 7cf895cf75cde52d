// YAML manifests read as kubectl reads them, so that offline checks see the objects the API server
// sees. kubectl decodes each document with sigs.k8s.io/yaml, which parses it with go-yaml v2 (YAML
// 1.1 scalars) into untyped values and converts them to JSON, whatever the field's type:
// - y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE are the boolean true, and n, N, no, No, NO,
//   off, Off, OFF, false, False, FALSE false, for a string field too (which the API server then
//   refuses); map keys among them become "true" and "false". The `yaml` library's YAML 1.1 schema
//   has exactly these booleans and nulls (~, null, Null, NULL, empty).
// - a timestamp (2024-01-01) or a sexagesimal number (1:20) stays a string: go-yaml v2 hands
//   timestamps to untyped targets as strings and has no base 60, so those tags of YAML 1.1 are dropped.
// - numbers are go-yaml v2's (resolve.go), which differ from the YAML 1.1 tags': below.
// - .inf and .nan are floats that JSON cannot carry: kubectl fails on them.
// - a key given twice keeps its last value, as go-yaml v2 does outside strict mode; a null or
//   collection key is an error to sigs.k8s.io/yaml.
import {
  isScalar, parseAllDocuments, visit, type Document, type DocumentOptions, type ParseOptions, type ScalarTag, type SchemaOptions, type Tags,
} from 'yaml';

const INT_TAG = 'tag:yaml.org,2002:int';
const FLOAT_TAG = 'tag:yaml.org,2002:float';
const REPLACED_TAGS = new Set([INT_TAG, FLOAT_TAG, 'tag:yaml.org,2002:timestamp']);

// go-yaml v2 resolves an unquoted scalar starting with a digit or sign, with its underscores
// dropped, as strconv.ParseInt(s, 0, 64) reads it (0x, 0o, 0b and a leading 0 for octal, either
// case), or else as a float matching its yamlStyleFloat; one starting with '.' as a float when
// strconv.ParseFloat takes it as it is (Go's syntax: an underscore only between two digits).
const GO_INT = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]?([0-7]+)|0[bB]([01]+)|([1-9][0-9]*|0))$/;
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const GO_DOT_FLOAT = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/;
const NUMERIC_START = /^[-+0-9]/;
const NON_FINITE = new Map<string, number>([
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((text) => [text, Infinity] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((text) => [text, -Infinity] as const),
  ...['.nan', '.NaN', '.NAN'].map((text) => [text, NaN] as const),
]);

function goInt(text: string): number | undefined {
  const match = NUMERIC_START.test(text) ? GO_INT.exec(text.replaceAll('_', '')) : null;
  if (!match) return undefined;
  const [, sign, hex, octal, binary, decimal] = match;
  const magnitude = hex ? parseInt(hex, 16) : octal ? parseInt(octal, 8) : binary ? parseInt(binary, 2) : Number(decimal);
  return sign === '-' ? -magnitude : magnitude;
}

function goFloat(text: string): number | undefined {
  if (NON_FINITE.has(text)) return NON_FINITE.get(text);
  const plain = text.replaceAll('_', '');
  if (text.startsWith('.')) return GO_DOT_FLOAT.test(text) ? Number(plain) : undefined;
  return NUMERIC_START.test(text) && GO_FLOAT.test(plain) ? Number(plain) : undefined;
}

/** A RegExp whose test() is `predicate`: the yaml library asks a scalar tag's `test` whether an unquoted scalar is one of its. */
function matching(predicate: (text: string) => boolean): RegExp {
  const regexp = new RegExp('');
  regexp.test = predicate;
  return regexp;
}

function goNumberTag(tag: string, read: (text: string) => number | undefined): ScalarTag {
  return {
    tag, default: true,
    identify: (value) => typeof value === 'number',
    test: matching((text) => read(text) !== undefined),
    resolve: (text) => read(text),
  };
}

const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags: Tags) => [
    // The YAML 1.1 schema's tags come resolved, never by name.
    ...tags.filter((tag) => typeof tag !== 'string' && !REPLACED_TAGS.has(tag.tag)),
    // The int tag is tried first, as go-yaml v2 does.
    goNumberTag(INT_TAG, goInt),
    goNumberTag(FLOAT_TAG, goFloat),
  ],
};

function assertScalarKeys(document: Document): void {
  visit(document, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value === null) throw new Error(`a map key must be a string, number or boolean, not ${String(pair.key)}`);
    },
  });
}

function assertJson(value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${path || '<root>'}: ${value} cannot be JSON`);
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) assertJson(child, Array.isArray(value) ? `${path}[${key}]` : `${path ? `${path}.` : ''}${key}`);
  }
}

/** The documents of a YAML (or JSON) stream as kubectl decodes them; empty documents are left out. Throws where kubectl fails. */
export function parseManifests(text: string): unknown[] {
  return parseAllDocuments(text, OPTIONS)
    .map((document) => {
      const [error] = document.errors;
      if (error) throw new Error(`not YAML: ${error.message.split('\n')[0]}`);
      assertScalarKeys(document);
      const value: unknown = document.toJS();
      assertJson(value, '');
      return value;
    })
    .filter((value) => value !== null && value !== undefined);
}
