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
import { lineAt, lineOf, nodeStart, shapeOf, sourceOf, type DocumentShape, type Source } from './manifest-lines.ts';

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

/** A document kubectl would refuse, named by its place in the stream. */
const refusal = (index: number, line: number, message: string) => new Error(`document ${index} (line ${line}): ${message}`);

/** js-yaml's error, at its line in the whole stream. */
function notYaml(error: unknown, source: Source, base: number, index: number): Error {
  if (!(error instanceof YAMLException) || !error.mark) return error as Error;
  const line = lineAt(source, base + error.mark.position);
  return refusal(index, line, `not YAML: ${error.reason} at line ${line}, column ${error.mark.column + 1}`);
}

// go-yaml v2's guard against alias bombs (decode.go allowedAliasRatio): past 100 aliases and
// 1,000 nodes, as expanded, aliases may be at most 99% of the nodes, falling to 10% at 4 million.
const ALIAS_RATIO = { low: 400_000, high: 4_000_000 };
const allowedAliasRatio = (nodes: number) =>
  nodes <= ALIAS_RATIO.low ? 0.99 : nodes >= ALIAS_RATIO.high ? 0.1 : 0.99 - 0.89 * ((nodes - ALIAS_RATIO.low) / (ALIAS_RATIO.high - ALIAS_RATIO.low));

/** Nodes and aliases as decoding would meet them, every alias expanded. */
interface Expanded {
  nodes: number;
  aliases: number;
}

interface Frame extends Expanded {
  /** A sequence's item, or a map's key or value, comes next. */
  next: 'item' | 'key' | 'value';
  keys: number;
  anchor?: string;
}

/** One document's events, with its keys checked as sigs.k8s.io/yaml checks them and its aliases counted as go-yaml counts them. */
class DocumentWalk {
  readonly #text: string;
  readonly #fail: (offset: number, message: string) => Error;
  readonly #anchors = new Map<string, Expanded>();
  readonly #frames: Frame[] = [];
  readonly total: Expanded = { nodes: 0, aliases: 0 };
  start = -1;

  constructor(text: string, fail: (offset: number, message: string) => Error) {
    this.#text = text;
    this.#fail = fail;
  }

  visit(event: Event): void {
    if (event.type === EVENT_ID.POP) return this.#close();
    if (!isNode(event)) return;
    if (this.start === -1) this.start = nodeStart(event);
    const parent = this.#frames.at(-1);
    if (parent?.next === 'key') this.#checkKey(event, parent);
    if (parent && parent.next !== 'item') parent.next = parent.next === 'key' ? 'value' : 'key';
    const anchor = event.anchorStart >= 0 ? this.#text.slice(event.anchorStart, event.anchorEnd) : undefined;
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      this.#frames.push({ next: event.type === EVENT_ID.MAPPING ? 'key' : 'item', keys: 0, nodes: 1, aliases: 0, anchor });
      return;
    }
    const expanded = event.type === EVENT_ID.ALIAS ? this.#alias(event) : { nodes: 1, aliases: 0 };
    if (anchor !== undefined) this.#anchors.set(anchor, expanded);
    this.#add(expanded);
  }

  #alias(event: Event & { type: typeof EVENT_ID.ALIAS }): Expanded {
    const target = this.#anchors.get(this.#text.slice(event.anchorStart, event.anchorEnd)) ?? { nodes: 1, aliases: 0 };
    return { nodes: target.nodes, aliases: target.aliases + 1 };
  }

  #close(): void {
    const frame = this.#frames.pop();
    if (!frame) return;
    if (frame.anchor !== undefined) this.#anchors.set(frame.anchor, frame);
    this.#add(frame);
  }

  #add({ nodes, aliases }: Expanded): void {
    const into = this.#frames.at(-1) ?? this.total;
    into.nodes += nodes;
    into.aliases += aliases;
  }

  /** Throws where kubectl would: an alias bomb. */
  checkAliases(): void {
    const { nodes, aliases } = this.total;
    if (aliases > 100 && nodes > 1000 && aliases / nodes > allowedAliasRatio(nodes)) throw this.#fail(this.start, 'not YAML for kubectl: the document contains excessive aliasing');
  }

  #checkKey(key: Event, map: Frame): void {
    map.keys++;
    if (key.type === EVENT_ID.ALIAS) return;
    const plain = key.type === EVENT_ID.SCALAR && key.style === SCALAR_STYLE.PLAIN && key.tagStart === -1;
    const value = key.type === EVENT_ID.SCALAR ? getScalarValue(this.#text, key) : '';
    if (key.type !== EVENT_ID.SCALAR || (plain && NULL_SCALAR.test(value))) {
      const written = this.#text.slice(nodeStart(key), key.type === EVENT_ID.SCALAR ? key.valueEnd : nodeStart(key) + 20).split('\n')[0];
      throw this.#fail(nodeStart(key), `not YAML for kubectl: a map key must be a string, number or boolean, not ${written || 'null'}`);
    }
    // go-yaml v2 merges in the order written, so a merged value beats a key before `<<`; js-yaml,
    // as YAML's merge says, keeps the key: refused rather than read otherwise than kubectl reads it.
    if (plain && value === '<<' && map.keys > 1) {
      throw this.#fail(nodeStart(key), 'a merge key (<<) after other keys of its map, which kubectl and Palisade would read differently: write << first');
    }
  }
}

/** The path of the first number JSON cannot carry in `value`, if any; built only for that one. */
function nonFinitePath(value: unknown, depth = 0): (string | number)[] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : [];
  if (!value || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  const isList = Array.isArray(value);
  for (const key in value) {
    const below = nonFinitePath((value as Record<string, unknown>)[key], depth + 1);
    if (below !== undefined) return [isList ? Number(key) : key, ...below];
  }
  return undefined;
}

/** Is `value` nested more than `depth` levels? */
function deeperThan(value: unknown, depth: number): boolean {
  if (!value || typeof value !== 'object') return false;
  if (depth === 0) return true;
  return Object.values(value).some((child) => deeperThan(child, depth - 1));
}

const writtenPath = (path: readonly (string | number)[]) =>
  path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${key}`)).join('') || '<root>';

// go-yaml allows 10,000 levels; js-yaml's default of 100 would refuse deep CRD schemas.
const MAX_DEPTH = 1000;

/** The first document of kubectl's chunk `source.text[from, to)`, undefined when it has none. */
function readChunk(source: Source, from: number, to: number, index: number): Omit<ManifestDocument, 'index'> | undefined {
  const text = source.text.slice(from, to);
  const fail = (offset: number, message: string) => refusal(index, lineAt(source, from + Math.max(offset, 0)), message);
  let stream: Event[];
  let values: unknown[];
  const walk = new DocumentWalk(text, fail);
  try {
    stream = parseEvents(text, { maxDepth: MAX_DEPTH });
    // The first document alone, as go-yaml reads a chunk; its keys and aliases first, so that
    // the constructor meets only what kubectl would decode.
    const end = stream.findIndex((event, at) => at > 0 && event.type === EVENT_ID.DOCUMENT);
    stream = end === -1 ? stream : stream.slice(0, end);
    for (const event of stream) walk.visit(event);
    walk.checkAliases();
    values = constructFromEvents(stream, { source: text, schema: KUBECTL_SCHEMA, json: true, maxTotalMergeKeys: -1 });
  } catch (error) {
    throw notYaml(error, source, from, index);
  }
  const value = values[0];
  if (value === null || value === undefined) return undefined;
  const shape = shapeOf(source, stream, 1, stream.length - 1, from);
  const nonFinite = nonFinitePath(value);
  if (nonFinite) throw refusal(index, lineOf(shape, nonFinite), `${writtenPath(nonFinite)}: ${String(nonFinite.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value))} cannot be JSON`);
  return { line: lineAt(source, from + walk.start), value, shape };
}

// kubectl's YAMLReader (k8s.io/apimachinery util/yaml) cuts a stream at each line that starts with
// `---`, which only spaces or a comment may follow; go-yaml then reads each chunk's first document.
const SEPARATOR = /^---(.*)$/gm;

/** Each chunk's offsets, as kubectl cuts the stream. */
function chunks(source: Source): [number, number][] {
  const { text } = source;
  const cuts: [number, number][] = [];
  let from = 0;
  for (const match of text.matchAll(SEPARATOR)) {
    const rest = match[1]!.trim();
    if (rest !== '' && !rest.startsWith('#')) {
      throw new Error(`line ${lineAt(source, match.index)}: not YAML for kubectl: a document separator with content after it (${JSON.stringify(match[0].slice(0, 40))})`);
    }
    cuts.push([from, match.index]);
    from = Math.min(text.length, match.index + match[0].length + 1);
  }
  cuts.push([from, text.length]);
  return cuts;
}

/**
 * A stream that is one JSON object, as kubectl's decoder reads one that starts with `{`: with
 * JSON.parse, which holds none of the YAML parser's events (a 20 MB List took 500 MB through
 * them). Its shape, which only a finding's or an error's line needs, is read from the YAML
 * events when first asked for. Undefined for anything else, which the YAML path reads (and
 * refuses where kubectl would).
 */
function jsonDocument(source: Source): ManifestDocument | undefined {
  const start = source.text.search(/\S/);
  if (start < 0 || source.text[start] !== '{') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(source.text);
  } catch {
    return undefined;
  }
  // What the YAML path refuses (a number JSON cannot carry, such as 1e400; nesting past its
  // limit), it refuses with a line: taken there.
  if (nonFinitePath(value) !== undefined || deeperThan(value, MAX_DEPTH)) return undefined;
  let shape: DocumentShape | undefined;
  return {
    index: 1, line: lineAt(source, start), value,
    get shape() {
      return shape ??= readChunk(source, 0, source.text.length, 1)!.shape;
    },
  };
}

/** The non-empty documents of a YAML (or JSON) stream as kubectl decodes them, with where each is. Throws where kubectl fails, naming the document and line. */
export function readManifests(text: string): ManifestDocument[] {
  const source = sourceOf(text);
  const json = jsonDocument(source);
  if (json) return [json];
  const documents: ManifestDocument[] = [];
  for (const [from, to] of chunks(source)) {
    const document = readChunk(source, from, to, documents.length + 1);
    if (document) documents.push({ index: documents.length + 1, ...document });
  }
  return documents;
}

/** The documents' values alone. */
export const parseManifests = (text: string): unknown[] => readManifests(text).map((document) => document.value);
