// Runs main.go here over many strings at once. The binary is built once per source and Go version and
// kept in ~/.cache/palisade (harness/go-binary.ts), so that a test run after the first starts it at once.
import { spawnSync } from 'node:child_process';
import { cachedGoBinary } from '../go-binary.ts';

/** netip's reading of one string as an address or as a prefix; `string` and `masked` only when it reads. */
export interface Verdict {
  ok: boolean;
  string?: string;
  masked?: string;
}

export interface Reading {
  addr: Verdict;
  prefix: Verdict;
}

/** The oracle's binary (harness/go-binary.ts), built first if this source and Go version have none yet. */
const binary = (): string => cachedGoBinary(import.meta.dirname, 'netip-oracle');

/** How netip reads each of `lines`, in order. */
export function netip(lines: readonly string[]): Reading[] {
  const unreadable = lines.find((line) => line.includes('\n'));
  if (unreadable !== undefined) throw new Error(`the oracle reads one string a line, so ${JSON.stringify(unreadable)} cannot be given to it`);
  const run = spawnSync(binary(), { input: lines.map((line) => `${line}\n`).join(''), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) throw new Error(`the netip oracle failed: ${run.error?.message ?? run.stderr}`);
  const readings = run.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Reading);
  if (readings.length !== lines.length) throw new Error(`the netip oracle answered ${readings.length} of ${lines.length} lines`);
  return readings;
}
