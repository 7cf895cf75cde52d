// Where each field of a manifest is written, kept compact beside the parsed documents: a few
// integers per YAML node (from js-yaml's event stream) and one table of line starts per file, so
// that a finding names its line without the document being parsed again, for 10,000 objects in
// a stream or a List of as many items.
import { EVENT_ID, SCALAR_STYLE, getScalarValue, type Event, type ScalarEvent } from 'js-yaml';

/** A field of a document: its keys and list indexes from the root. */
export type FieldPath = readonly (string | number)[];

/** A stream's text and where its lines start. */
export interface Source {
  text: string;
  /** The offset of every '\n'. */
  newlines: Int32Array;
}

export function sourceOf(text: string): Source {
  const newlines: number[] = [];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) newlines.push(at);
  return { text, newlines: Int32Array.from(newlines) };
}

/** The 1-based line of `offset`: one more than the newlines before it. */
export function lineAt({ newlines }: Source, offset: number): number {
  let [low, high] = [0, newlines.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (newlines[middle]! < offset) low = middle + 1;
    else high = middle;
  }
  return low + 1;
}

// Per node, FIELDS integers: its event type, where its source starts (its tag or anchor when it
// has one), a scalar's value range and style, and a collection's end (the node after it).
const FIELDS = 5;
const [TYPE, START, VALUE_START, VALUE_END, STYLE_OR_END] = [0, 1, 2, 3, 4];

/** The nodes of one document. */
export interface DocumentShape {
  source: Source;
  nodes: Int32Array;
}

/** Where a node's source starts: its tag or anchor when it has one (an offset of -1 is none). */
export function nodeStart(event: Event): number {
  let start = 'start' in event ? event.start : 'valueStart' in event ? event.valueStart : -1;
  for (const mark of 'tagStart' in event ? [event.tagStart, event.anchorStart] : 'anchorStart' in event ? [event.anchorStart] : []) {
    if (mark >= 0 && (start < 0 || mark < start)) start = mark;
  }
  return start;
}

/** The shape of the document whose events are `events[from, to)` (its DOCUMENT event and final POP left out), offsets shifted by `base`. */
export function shapeOf(source: Source, events: readonly Event[], from: number, to: number, base: number): DocumentShape {
  const nodes = new Int32Array((to - from) * FIELDS);
  const open: number[] = [];
  let count = 0;
  for (let index = from; index < to; index++) {
    const event = events[index]!;
    if (event.type === EVENT_ID.POP) {
      nodes[open.pop()! * FIELDS + STYLE_OR_END] = count;
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT) continue;
    const at = count++ * FIELDS;
    nodes[at + TYPE] = event.type;
    nodes[at + START] = nodeStart(event) + base;
    if (event.type === EVENT_ID.SCALAR) {
      nodes[at + VALUE_START] = event.valueStart + base;
      nodes[at + VALUE_END] = event.valueEnd + base;
      nodes[at + STYLE_OR_END] = event.style;
    } else if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      open.push(count - 1);
    }
  }
  return { source, nodes: nodes.slice(0, count * FIELDS) };
}

const endOf = (nodes: Int32Array, node: number) => {
  const type = nodes[node * FIELDS + TYPE];
  return type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE ? nodes[node * FIELDS + STYLE_OR_END]! : node + 1;
};

function keyText({ source, nodes }: DocumentShape, node: number): string | undefined {
  const at = node * FIELDS;
  if (nodes[at + TYPE] !== EVENT_ID.SCALAR) return undefined;
  const [valueStart, valueEnd, style] = [nodes[at + VALUE_START]!, nodes[at + VALUE_END]!, nodes[at + STYLE_OR_END]!];
  if (style === SCALAR_STYLE.PLAIN) return source.text.slice(valueStart, valueEnd);
  const event = { type: EVENT_ID.SCALAR, valueStart, valueEnd, style, chomping: 1, indent: -1, fast: false, anchorStart: -1, anchorEnd: -1, tagStart: -1, tagEnd: -1 };
  return getScalarValue(source.text, event as ScalarEvent);
}

/** In the collection `node`: the node of `segment`'s value or item, and the offset a line is reported at (its key's). */
function childOf(shape: DocumentShape, node: number, segment: string | number): { node: number; offset: number } | undefined {
  const { nodes } = shape;
  const type = nodes[node * FIELDS + TYPE];
  const end = endOf(nodes, node);
  let found: { node: number; offset: number } | undefined;
  for (let child = node + 1, item = 0; child < end; item++) {
    if (type === EVENT_ID.SEQUENCE) {
      if (item === segment) return { node: child, offset: nodes[child * FIELDS + START]! };
      child = endOf(nodes, child);
    } else {
      // The last of a key given twice is the one that counts.
      if (keyText(shape, child) === String(segment)) found = { node: child + 1, offset: nodes[child * FIELDS + START]! };
      child = endOf(nodes, endOf(nodes, child));
    }
  }
  return type === EVENT_ID.MAPPING ? found : undefined;
}

/** The line of `path`; of the deepest part of it that is written when the rest is not (a missing field is reported where it would go). */
export function lineOf(shape: DocumentShape, path: FieldPath): number {
  let node = 0;
  let offset = shape.nodes[START] ?? 0;
  for (const segment of path) {
    const child = childOf(shape, node, segment);
    if (!child) break;
    ({ node, offset } = child);
  }
  return lineAt(shape.source, offset);
}

/**
 * The line of each item of the sequence at `path`, in one walk: asking lineOf for each item of a
 * long List would walk the items before it every time.
 */
export function itemLines(shape: DocumentShape, path: FieldPath): number[] {
  const { nodes } = shape;
  let node = 0;
  for (const segment of path) {
    const child = childOf(shape, node, segment);
    if (!child) return [];
    node = child.node;
  }
  if (nodes[node * FIELDS + TYPE] !== EVENT_ID.SEQUENCE) return [];
  const lines: number[] = [];
  for (let child = node + 1, end = endOf(nodes, node); child < end; child = endOf(nodes, child)) lines.push(lineAt(shape.source, nodes[child * FIELDS + START]!));
  return lines;
}
