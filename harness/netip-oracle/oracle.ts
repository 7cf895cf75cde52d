// Runs main.go here over many strings at once. The binary is built once per source and Go version and
// kept in ~/.cache/palisade, so that a test run after the first starts it at once.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

const SOURCE = import.meta.dirname;
// The Go found on PATH, as it is (no toolchain download), and a static binary (no C compiler needed).
const GO_OPTIONS: SpawnSyncOptions = { cwd: SOURCE, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' } };

/** Runs `go`, failing with what it printed, or with how to get Go when there is none. */
function go(...args: string[]): string {
  const run = spawnSync('go', args, GO_OPTIONS);
  if (run.error) throw new Error(`the netip oracle (harness/netip-oracle) needs Go 1.22 or later on PATH: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`go ${args.join(' ')} in ${SOURCE} failed:\n${String(run.stderr)}`);
  return String(run.stdout);
}

/** The oracle's binary, built first if this source and Go version have none yet. */
function binary(): string {
  const hash = createHash('sha256').update(go('env', 'GOVERSION'));
  for (const file of ['go.mod', 'main.go']) hash.update(readFileSync(join(SOURCE, file)));
  const directory = join(homedir(), '.cache', 'palisade');
  const path = join(directory, `netip-oracle-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(path)) return path;
  mkdirSync(directory, { recursive: true });
  // Built beside its final name and renamed, so that a concurrent run never starts a half-written file.
  const partial = `${path}.${process.pid}`;
  go('build', '-trimpath', '-o', partial, '.');
  renameSync(partial, path);
  return path;
}

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
