// The module's ways of walking a pod and of writing its messages (policy/helpers.go, visitor.go),
// so that every check words its ForbiddenDetail exactly as the API server's admission does.
import type { CheckResult, Container, PodSpec } from './types.ts';

export const ALLOWED: CheckResult = { allowed: true };

export const forbidden = (reason: string, detail: string): CheckResult => ({ allowed: false, reason, detail });

/** Every container the checks look at, in the module's order: init, regular, then ephemeral. */
export const containersOf = (spec: PodSpec): Container[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];

/** A Go string field: a missing name reads as the empty string. */
export const nameOf = (container: Container): string => container.name ?? '';

export const pluralize = (singular: string, plural: string, count: number): string => (count === 1 ? singular : plural);

/** `"a", "b"`: joinQuote, which quotes nothing inside the items. */
export const joinQuote = (items: readonly string[]): string => (items.length === 0 ? '' : `"${items.join('", "')}"`);

/** `container "a"` or `containers "a", "b"`: how most checks name their culprits. */
export const containersPhrase = (names: readonly string[]): string =>
  `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** What sets.String.List() gives: distinct and sorted (byte order, as Go compares strings). */
export const sortedSet = (items: Iterable<string>): string[] => [...new Set(items)].sort();

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/**
 * Go's %q of a string (strconv.Quote) for the annotation values the messages quote. Control
 * characters are escaped as Go escapes them; other characters are kept, as Go keeps printable
 * ones (an unprintable non-ASCII character, which Go would escape, is not worth the tables).
 */
export function goQuote(text: string): string {
  const escaped = [...text].map((char) => {
    if (char in GO_ESCAPES) return GO_ESCAPES[char];
    const code = char.codePointAt(0)!;
    return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  });
  return `"${escaped.join('')}"`;
}

/** The sources that set a bad value, as the messages list them: "pod", then the containers. */
export const setters = (pod: boolean, containers: readonly string[]): string[] => [
  ...(pod ? ['pod'] : []),
  ...(containers.length > 0 ? [containersPhrase(containers)] : []),
];
