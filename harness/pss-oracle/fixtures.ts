// The golden fixtures k8s.io/pod-security-admission ships: test/testdata/<level>/<version>/{pass,fail}/*.yaml,
// one Pod each, written by the module's own TestFixtures for the verdict its directory names.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { PodLike } from '../../src/podsecurity/index.ts';

export const MODULE = 'k8s.io/pod-security-admission@v0.37.2';

export interface Fixture {
  /** Relative to the module's test/testdata, e.g. restricted/v1.25/fail/runasnonroot0.yaml. */
  path: string;
  level: 'baseline' | 'restricted';
  version: string;
  pass: boolean;
  pod: PodLike;
}

/** Where the Go module cache holds the module (downloaded first if it is not there: the proxy, a few seconds). */
export function moduleDirectory(): string {
  const run = spawnSync('go', ['mod', 'download', '-json', MODULE], { cwd: import.meta.dirname, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (run.error || run.status !== 0) throw new Error(`go mod download ${MODULE} failed: ${run.error?.message ?? run.stdout + run.stderr}`);
  return (JSON.parse(run.stdout) as { Dir: string }).Dir;
}

const directories = (path: string): string[] => readdirSync(path, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

export function goldenFixtures(moduleDir: string): Fixture[] {
  const testdata = join(moduleDir, 'test', 'testdata');
  return (['baseline', 'restricted'] as const).flatMap((level) =>
    directories(join(testdata, level)).flatMap((version) =>
      (['pass', 'fail'] as const).flatMap((verdict) => {
        const directory = join(testdata, level, version, verdict);
        const files = readdirSync(directory).filter((file) => file.endsWith('.yaml')).sort();
        return files.map((file) => ({
          path: join(level, version, verdict, file),
          level,
          version,
          pass: verdict === 'pass',
          pod: load(readFileSync(join(directory, file), 'utf8')) as PodLike,
        }));
      }),
    ),
  );
}
