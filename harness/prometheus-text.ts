// Samples read from the Prometheus text format (a /metrics body), for the tests and benchmarks
// that read what the operator or kube-apiserver exports.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const ESCAPE = /\\(.)/g;

/** A label value as written: the format escapes a backslash, a double quote and a newline. */
const unescaped = (value: string) => value.replace(ESCAPE, (_, char: string) => (char === 'n' ? '\n' : char));

const sampleName = (line: string) => /^[^{ ]*/.exec(line)![0];

/**
 * The samples of a /metrics body, comments and blank lines skipped; only those of `names` when
 * given (a line's labels are read only if its name is wanted: kube-apiserver's body is megabytes).
 */
export function samples(text: string, names?: Iterable<string>): Sample[] {
  const wanted = names && new Set(names);
  return text.split('\n').flatMap((line) => {
    if (wanted && !wanted.has(sampleName(line))) return [];
    const match = SAMPLE.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key!, unescaped(value!)]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** The sum of sample `name` over the series whose labels include each of `labels`, value for value. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, [name])
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
