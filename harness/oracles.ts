// The test oracles, reference tools whose verdict the tests compare Palisade's with: helm and
// promtool, built from their official Go modules by hack/oracles/build.sh (versions in
// hack/oracles/versions.env) and cached in ~/.cache/palisade/oracles (PALISADE_CACHE moves it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const HACK = new URL('../hack/oracles/', import.meta.url).pathname;
/** The variable of versions.env that holds each oracle's version. */
const VERSION_OF = { helm: 'HELM_VERSION', promtool: 'PROMETHEUS_VERSION' } as const;

/** The path of oracle `name`'s binary, built first (by build.sh, minutes) if the cache has none. */
function oracle(name: keyof typeof VERSION_OF): string {
  const versions = readFileSync(join(HACK, 'versions.env'), 'utf8');
  const version = new RegExp(`^${VERSION_OF[name]}=(\\S+)`, 'm').exec(versions)?.[1];
  if (version === undefined) throw new Error(`hack/oracles/versions.env sets no ${VERSION_OF[name]}`);
  const cache = process.env.PALISADE_CACHE ?? join(homedir(), '.cache', 'palisade');
  const path = join(cache, 'oracles', `${name}-${version}`, 'bin', name);
  if (existsSync(path)) return path;
  if (spawnSync('go', ['version']).error) {
    throw new Error(`the ${name} oracle is built from its Go module (hack/oracles/build.sh), which needs Go 1.26 or later on PATH; none was found`);
  }
  // Its log goes to our stderr: a first build takes minutes.
  const run = spawnSync('bash', [join(HACK, 'build.sh'), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.error || run.status !== 0) throw new Error(`hack/oracles/build.sh ${name} failed (its log is above): ${run.error?.message ?? `exit ${run.status}`}`);
  return run.stdout.trim().split('\n').at(-1) ?? path;
}

/** The helm binary (helm.sh/helm/v4's cmd/helm), built once. */
export function helm(): string {
  return oracle('helm');
}

/** The promtool binary (github.com/prometheus/prometheus's cmd/promtool), built once. */
export function promtool(): string {
  return oracle('promtool');
}
