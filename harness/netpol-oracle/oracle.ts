// Asks np-guard's netpol-analyzer v1.4.4 (main.go here, its policy engine unchanged) about
// connections in one world. The binary is built once per source and Go version into
// ~/.cache/palisade (harness/go-binary.ts); its first build downloads the modules go.sum pins.
import { spawnSync } from 'node:child_process';
import { cachedGoBinary } from '../go-binary.ts';

/** A connection as netpol-analyzer's eval takes it: "namespace/pod" or an IP at either end. */
export interface NetpolQuery {
  src: string;
  dst: string;
  protocol: string;
  port: number;
}

/** The oracle's binary; `netpolAnalyzer() netpolicy ...` is the upstream command itself. */
export const netpolAnalyzer = (): string => cachedGoBinary(import.meta.dirname, 'netpol-oracle');

/** Allowed or not; or netpol-analyzer's refusal to answer, in its words. */
export type NetpolVerdict = boolean | { refused: string };

/**
 * netpol-analyzer's verdict on each query, in order, over `objects` (Namespaces, Pods and
 * NetworkPolicies as manifests).
 */
export function netpolVerdicts(objects: readonly object[], queries: readonly NetpolQuery[]): NetpolVerdict[] {
  const run = spawnSync(netpolAnalyzer(), { input: JSON.stringify({ objects, queries }), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) throw new Error(`netpol-analyzer failed: ${run.error?.message ?? run.stderr}`);
  const answers = run.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { allowed?: boolean; error?: string });
  if (answers.length !== queries.length) throw new Error(`netpol-analyzer answered ${answers.length} of ${queries.length} queries`);
  return answers.map((answer) => (answer.error !== undefined ? { refused: answer.error } : answer.allowed === true));
}

/** One line of `netpolicy list -o json`: "ns/name[Kind]" or an address range "a-b" at each end. */
export interface NetpolConnection {
  src: string;
  dst: string;
  conn: string;
}

/** netpol-analyzer's `list` of every allowed connection among the manifests of `directory`. */
export function netpolList(directory: string): NetpolConnection[] {
  const run = spawnSync(netpolAnalyzer(), ['netpolicy', 'list', '--dirpath', directory, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) throw new Error(`netpol-analyzer list failed: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as NetpolConnection[];
}
