#!/usr/bin/env -S node --max-semi-space-size=4
// The palisade command, and kubectl-palisade, the same as a kubectl plugin (`kubectl palisade
// render ...`): the compiled CLI of dist/. On a Node older than the package supports (the
// machine's own, when installed with npm link), it runs itself again on the project's Node
// from node_modules, with the same Node flags. A young generation of 4 MiB semi-spaces, not
// Node's default of up to 64: a scan allocates fast and briefly (YAML events), and V8 would grow
// the young generation by some 100 MiB for it (bench/scan) with no gain in speed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MINIMUM_NODE = 24;
const main = new URL('../dist/cli/main.js', import.meta.url);
const projectNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));

if (Number(process.versions.node.split('.')[0]) < MINIMUM_NODE) {
  if (!existsSync(projectNode)) {
    console.error(`palisade: needs Node.js ${MINIMUM_NODE} or later, and this is ${process.version}: run npm ci in ${fileURLToPath(new URL('..', import.meta.url))}`);
    process.exit(1);
  }
  const { status, signal } = spawnSync(projectNode, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(status ?? (signal ? 128 : 1));
}
if (!existsSync(main)) {
  console.error(`palisade: not built yet: run make build in ${fileURLToPath(new URL('..', import.meta.url))}`);
  process.exit(1);
}
await import(main.href);
