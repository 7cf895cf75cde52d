// Writes dist/build-info.json, what `palisade version` reports of a build: the commit it was made
// from (PALISADE_COMMIT, else git) and the Kubernetes version the tests ran against.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const versions = readFileSync(new URL('control-plane/versions.env', import.meta.url), 'utf8');
const kubernetes = /^KUBERNETES_VERSION=(\S+)$/m.exec(versions)?.[1];
if (!kubernetes) throw new Error('hack/control-plane/versions.env names no KUBERNETES_VERSION');

function commit(): string {
  if (process.env.PALISADE_COMMIT) return process.env.PALISADE_COMMIT;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

const out = process.argv[2] ?? `${root}dist/build-info.json`;
writeFileSync(out, `${JSON.stringify({ commit: commit(), testedKubernetes: [kubernetes] }, null, 2)}\n`);
