// Writes crds/*.yaml and docs/reference.md from src/api. With --check it writes nothing and fails
// if they differ from what src/api generates, so CI catches a schema change without `make crds`.
import { readdir, readFile, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { customResourceDefinitions, kinds } from '../src/api/index.ts';
import { reference } from '../src/api/reference.ts';

const root = new URL('../', import.meta.url).pathname;
const dir = join(root, 'crds');
const REFERENCE = '../docs/reference.md';
const header = '# Generated from src/api by `make crds`. Do not edit.\n';

function generated(): Map<string, string> {
  const files = new Map(customResourceDefinitions().map((crd) => [
    `${crd.metadata.name}.yaml`,
    header + dump(crd, { lineWidth: 120, noRefs: true }),
  ]));
  // Lets kustomize bases (config/crd) take the CRDs from here.
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...files.keys()] };
  files.set('kustomization.yaml', header + dump(kustomization));
  files.set(REFERENCE, reference(kinds));
  return files;
}

async function onDisk(): Promise<Map<string, string>> {
  const names = [...(await readdir(dir)).filter((name) => name.endsWith('.yaml')), REFERENCE];
  return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8').catch(() => '')] as const)));
}

const want = generated();
const have = await onDisk();
const stale = [...new Set([...want.keys(), ...have.keys()])].filter((name) => want.get(name) !== have.get(name));

if (process.argv.includes('--check')) {
  if (stale.length > 0) {
    console.error(`crds/ or docs/reference.md is out of date with src/api (${stale.join(', ')}): run \`make crds\` and commit the result.`);
    process.exit(1);
  }
  console.log('crds/ and docs/reference.md match src/api');
} else {
  for (const name of stale) {
    const content = want.get(name);
    await (content === undefined ? unlink(join(dir, name)) : writeFile(join(dir, name), content));
  }
  console.log(stale.length ? `wrote ${stale.join(', ')}` : 'crds/ already up to date');
}
