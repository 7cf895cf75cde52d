// Samples read from the Prometheus text format (a /metrics body), for the tests and benchmarks
// that read what the operator or kube-apiserver exports.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Tokens are separated by blanks or tabs; a sample may end in a timestamp, which is not read.
const SAMPLE = /^[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?[ \t]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const ESCAPE = /\\(.)/g;
const NAME = /^[ \t]*([^{ \t]*)/;
/** The format's words for what Number() does not read. */
const SPECIAL_VALUES: Record<string, number> = { '+Inf': Infinity, Inf: Infinity, '-Inf': -Infinity, NaN: Number.NaN, Nan: Number.NaN };

/** A label value as written: the format escapes a backslash, a double quote and a newline. */
const unescaped = (value: string) => value.replace(ESCAPE, (_, char: string) => (char === 'n' ? '\n' : char));

function valueOf(text: string, line: string): number {
  const value = SPECIAL_VALUES[text] ?? Number(text);
  if (Number.isNaN(value) && !(text in SPECIAL_VALUES)) throw new Error(`not a Prometheus sample value: ${line}`);
  return value;
}

/**
 * The samples of a /metrics body, comments and blank lines skipped; only those of `names` when
 * given (a line's labels are read only if its name is wanted: kube-apiserver's body is megabytes).
 * A line that is neither a comment nor a sample is an error: a figure must not miss it silently.
 */
export function samples(text: string, names?: Iterable<string>): Sample[] {
  const wanted = names && new Set(names);
  return text.split(/\r?\n/).flatMap((line) => {
    const name = NAME.exec(line)![1]!;
    if (name === '' || name.startsWith('#') || (wanted && !wanted.has(name))) return [];
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key!, unescaped(value!)]));
    return [{ name: match[1]!, labels, value: valueOf(match[3]!, line) }];
  });
}

/** The sum of sample `name` over the series whose labels include each of `labels`, value for value. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, [name])
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
