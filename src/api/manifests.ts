// YAML manifests read as kubectl reads them, so that offline checks see the objects the API server
// sees. kubectl decodes each document with sigs.k8s.io/yaml, which parses it with go-yaml v2 (YAML
// 1.1 scalars) into untyped values and converts them to JSON, whatever the field's type:
// - y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE are the boolean true, and n, N, no, No, NO,
//   off, Off, OFF, false, False, FALSE false, for a string field too (which the API server then
//   refuses); map keys among them become "true" and "false". js-yaml's YAML 1.1 tags have exactly
//   these booleans and nulls (~, null, Null, NULL, empty).
// - a timestamp (2024-01-01) or a sexagesimal number (1:20) stays a string: go-yaml v2 hands
//   timestamps to untyped targets as strings and has no base 60, so those tags of YAML 1.1 are left out.
// - numbers are go-yaml v2's (resolve.go), which differ from the YAML 1.1 tags': below.
// - .inf and .nan are floats that JSON cannot carry: kubectl fails on them.
// - a key given twice keeps its last value, as go-yaml v2 does outside strict mode; a null or
//   collection key is an error to sigs.k8s.io/yaml.
// js-yaml's event stream carries source offsets: src/api/manifest-lines.ts keeps them, so that a
// finding names its line.
import {
  EVENT_ID, FAILSAFE_SCHEMA, NOT_RESOLVED, SCALAR_STYLE, YAMLException, boolYaml11Tag, constructFromEvents, defineScalarTag,
  getScalarValue, mergeTag, nullYaml11Tag, parseEvents, type Event,
} from 'js-yaml';
import { lineAt, nodeStart, shapeOf, sourceOf, type DocumentShape, type Source } from './manifest-lines.ts';

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
const NULL_SCALAR = /^(?:~|null|Null|NULL|)$/;

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

const goNumberTag = (tag: string, firstChars: string, read: (text: string) => number | undefined) => defineScalarTag(tag, {
  implicit: true,
  implicitFirstChars: [...firstChars],
  resolve: (text) => read(text) ?? NOT_RESOLVED,
  identify: (value) => typeof value === 'number',
});

// The int tag comes first, as go-yaml v2 tries it first.
const KUBECTL_SCHEMA = FAILSAFE_SCHEMA.withTags(
  nullYaml11Tag, boolYaml11Tag,
  goNumberTag('tag:yaml.org,2002:int', '-+0123456789', goInt),
  goNumberTag('tag:yaml.org,2002:float', '-+.0123456789', goFloat),
  mergeTag,
);

/** One non-empty document of a stream, with where it is. */
export interface ManifestDocument {
  /** 1-based, among the stream's non-empty documents. */
  index: number;
  /** The 1-based line its content starts on. */
  line: number;
  value: unknown;
  /** Where each of its fields is (lineOf in src/api/manifest-lines.ts). */
  shape: DocumentShape;
}

const isNode = (event: Event) => event.type !== EVENT_ID.DOCUMENT && event.type !== EVENT_ID.POP;

function notYaml(error: unknown): Error {
  if (!(error instanceof YAMLException)) return error as Error;
  const where = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : '';
  return new Error(`not YAML: ${error.reason}${where}`);
}

function yamlStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw notYaml(error);
  }
}

/** A document's events: from its first node to its closing POP, and where its content starts (-1 when it has none). */
interface DocumentEvents {
  from: number;
  to: number;
  start: number;
}

/** Each document's events; every map key checked on the way, as sigs.k8s.io/yaml checks them. */
function documentsIn(source: Source, base: number, text: string, stream: Event[]): DocumentEvents[] {
  const documents: DocumentEvents[] = [];
  // Per open collection: a sequence, or a map waiting for a key or for its value.
  const frames: ('item' | 'key' | 'value')[] = [];
  stream.forEach((event, index) => {
    if (event.type === EVENT_ID.DOCUMENT) documents.push({ from: index + 1, to: index + 1, start: -1 });
    if (event.type === EVENT_ID.POP && frames.pop() === undefined) documents.at(-1)!.to = index;
    if (!isNode(event)) return;
    const document = documents.at(-1)!;
    if (document.start === -1) document.start = nodeStart(event);
    const top = frames.length - 1;
    if (frames[top] === 'key') assertScalarKey(source, base, text, event);
    if (frames[top] !== undefined && frames[top] !== 'item') frames[top] = frames[top] === 'key' ? 'value' : 'key';
    if (event.type === EVENT_ID.MAPPING) frames.push('key');
    if (event.type === EVENT_ID.SEQUENCE) frames.push('item');
  });
  return documents;
}

function assertScalarKey(source: Source, base: number, text: string, key: Event): void {
  if (key.type === EVENT_ID.ALIAS) return;
  const isNull = key.type === EVENT_ID.SCALAR && key.style === SCALAR_STYLE.PLAIN && key.tagStart === -1 && NULL_SCALAR.test(getScalarValue(text, key));
  if (key.type !== EVENT_ID.SCALAR || isNull) {
    const written = text.slice(nodeStart(key), key.type === EVENT_ID.SCALAR ? key.valueEnd : nodeStart(key) + 20).split('\n')[0];
    throw new Error(`not YAML for kubectl: a map key must be a string, number or boolean, not ${written || 'null'} at line ${lineAt(source, base + nodeStart(key))}`);
  }
}

/** The path of the first number JSON cannot carry in `value`, if any; built only for that one. */
function nonFinitePath(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : '';
  if (!value || typeof value !== 'object') return undefined;
  const isList = Array.isArray(value);
  for (const key in value) {
    const below = nonFinitePath((value as Record<string, unknown>)[key]);
    if (below !== undefined) return `${isList ? `[${key}]` : key}${below && !below.startsWith('[') ? '.' : ''}${below}`;
  }
  return undefined;
}

function assertJson(value: unknown): void {
  const path = nonFinitePath(value);
  if (path === undefined) return;
  const number = path.split(/[.[\]]+/).filter(Boolean).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value);
  throw new Error(`${path || '<root>'}: ${String(number)} cannot be JSON`);
}

/** The documents of `source.text[from, to)`, empty ones included as undefined. */
function readPiece(source: Source, from: number, to: number): (Omit<ManifestDocument, 'index'> | undefined)[] {
  const text = source.text.slice(from, to);
  const stream = yamlStep(() => parseEvents(text, {}));
  // Keys first: the constructor's own refusal of a collection key would not say what kubectl says.
  const documents = documentsIn(source, from, text, stream);
  const values = yamlStep(() => constructFromEvents(stream, { source: text, schema: KUBECTL_SCHEMA, json: true }));
  return documents.map((events, position) => {
    const value = values[position];
    if (value === null || value === undefined) return undefined;
    assertJson(value);
    return { line: lineAt(source, from + events.start), value, shape: shapeOf(source, stream, events.from, events.to, from) };
  });
}

// A document marker at the start of a line: YAML allows it nowhere inside a document's content.
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

/**
 * The text cut at its document markers, so that only one piece's events are held at a time. A
 * piece may still fail alone where the whole does not (a directive belongs to the document after it).
 */
function pieces(text: string): [number, number][] {
  const cuts = [0, ...[...text.matchAll(DOCUMENT_MARKER)].map((match) => match.index).filter((at) => at > 0), text.length];
  return cuts.slice(1).map((to, index) => [cuts[index]!, to]);
}

/** The non-empty documents of a YAML (or JSON) stream as kubectl decodes them, with where each is. Throws where kubectl fails. */
export function readManifests(text: string): ManifestDocument[] {
  const source = sourceOf(text);
  let documents;
  try {
    documents = pieces(text).flatMap(([from, to]) => readPiece(source, from, to));
  } catch {
    // Read whole, the stream says where it is broken, or that it is not.
    documents = readPiece(source, 0, text.length);
  }
  return documents.filter((document) => document !== undefined).map((document, index) => ({ index: index + 1, ...document }));
}

/** The documents' values alone. */
export const parseManifests = (text: string): unknown[] => readManifests(text).map((document) => document.value);
