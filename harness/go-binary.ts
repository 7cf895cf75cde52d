// The test helpers written in Go (harness/netip-oracle, harness/image-exec, harness/pss-oracle,
// harness/netpol-oracle, harness/dataplane): each built once per source and Go version into
// $PALISADE_CACHE (default ~/.cache/palisade), so that a test run after the first starts it at once.
// The first two are standard library only; the others' first build downloads their modules from
// the Go module proxy, checked against their committed go.sum (so the default -mod=readonly is
// enough: a go.mod or go.sum out of date fails the build rather than changing).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

/** Where the tests keep what they build: $PALISADE_CACHE, default ~/.cache/palisade. */
export function palisadeCache(): string {
  return process.env.PALISADE_CACHE ?? join(homedir(), '.cache', 'palisade');
}

const built = new Map<string, string>();

/**
 * The static binary of the Go module in `sourceDir`, as $PALISADE_CACHE/`name`-<hash of its
 * go.mod, .go files and the Go version>; built first if missing. The Go on PATH as it is (no
 * toolchain download), CGO off (no C compiler needed).
 */
export function cachedGoBinary(sourceDir: string, name: string): string {
  const known = built.get(sourceDir);
  if (known) return known;
  const where = relative(process.cwd(), sourceDir) || sourceDir;
  const options: SpawnSyncOptions = { cwd: sourceDir, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' } };
  const goMod = readFileSync(join(sourceDir, 'go.mod'), 'utf8');
  const go = (...args: string[]): string => {
    const run = spawnSync('go', args, options);
    if (run.error) throw new Error(`${name} (${where}) needs Go ${/^go (\S+)/m.exec(goMod)?.[1] ?? ''} or later on PATH: ${run.error.message}`);
    if (run.status !== 0) throw new Error(`go ${args.join(' ')} in ${where} failed:\n${String(run.stderr)}`);
    return String(run.stdout);
  };
  const hash = createHash('sha256').update(go('env', 'GOVERSION')).update(goMod);
  for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.go') || f === 'go.sum').sort()) {
    hash.update(`${file}\0`).update(readFileSync(join(sourceDir, file)));
  }
  const directory = palisadeCache();
  const path = join(directory, `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(path)) {
    mkdirSync(directory, { recursive: true });
    // Built beside its final name and renamed, so that a concurrent run never starts a half-written file.
    const partial = `${path}.${process.pid}`;
    go('build', '-trimpath', '-o', partial, '.');
    renameSync(partial, path);
  }
  built.set(sourceDir, path);
  return path;
}
