// The image's filesystem without a container engine: carries out the Dockerfile's instructions
// (COPY, RUN, WORKDIR, ARG, ENV) stage by stage in directories, the build context being this
// repository minus .dockerignore, and supplies for the final stage what its base image
// node:24-bookworm-slim would and the image uses: the Node 24 binary at /usr/local/bin/node (this
// project's, from the `node` package), the shared libraries it loads (ldd), /etc/passwd and
// /etc/group, an empty /tmp, and the mount points /proc and /dev. Nothing else.
//
// The Dockerfile is the one list of what goes in: this script reads it, so the two cannot
// disagree; test/e2e/image/image.test.ts checks the result and runs the operator from it.
//
//   node hack/image/rootfs.ts OUT     build into OUT (a new directory)
//
// RUN lines of the build stages run on this machine (sh -c, the stage's WORKDIR), with this
// project's Node 24 first on PATH as the base image has it in /usr/local/bin; the final stage may
// have none (there is no shell in the result to run them). The base image itself is not pulled.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { readDockerfile, DOCKERFILE, type Stage } from './dockerfile.ts';

const run = promisify(execFile);
const CONTEXT = new URL('../..', import.meta.url).pathname;
const BASE_IMAGE = 'node:24-bookworm-slim';
/** Where the base image has its Node. */
export const NODE_PATH = '/usr/local/bin/node';

/** The base image's users and groups that matter (a subset of Debian's). 65532 is not among them, as in the real image. */
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n';

function log(message: string): void {
  process.stderr.write(`rootfs: ${message}\n`);
}

/** .dockerignore's patterns; only plain paths from the context's root are understood. */
function dockerignore(): string[] {
  const file = join(CONTEXT, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((pattern) => {
    if (/[*?[\]!]/.test(pattern)) throw new Error(`.dockerignore: pattern "${pattern}" is not supported by hack/image/rootfs.ts`);
    return pattern.replace(/^\/+|\/+$/g, '');
  });
}

function contextSource(source: string, ignored: string[]): string {
  const relative = posix.normalize(source).replace(/^\/+|\/+$/g, '');
  if (relative.startsWith('..')) throw new Error(`COPY ${source}: outside the build context`);
  if (ignored.some((pattern) => relative === pattern || relative.startsWith(`${pattern}/`))) throw new Error(`COPY ${source}: excluded by .dockerignore`);
  return join(CONTEXT, relative);
}

/** Every COPY source taken from the build context (not from another stage). */
function contextSources(stages: Stage[]): string[] {
  return stages.flatMap((stage) => stage.instructions.flatMap((i) => (i.kind === 'COPY' && i.from === undefined ? i.sources : [])));
}

async function copy(source: string, dest: string, destIsDir: boolean): Promise<void> {
  const info = await lstat(source);
  if (info.isDirectory()) {
    await mkdir(dest, { recursive: true });
    // Docker copies a directory's contents; the files belong to root (we are root), modes kept.
    await run('cp', ['-RP', '--preserve=mode', `${source}/.`, `${dest}/`]);
    return;
  }
  const target = destIsDir ? join(dest, basename(source)) : dest;
  await mkdir(dirname(target), { recursive: true });
  await run('cp', ['-P', '--preserve=mode', source, target]);
}

/**
 * The shared libraries `binary` loads, as ldd resolves them on this machine: this machine's glibc and
 * libstdc++ builds, which match the base image's only on a Debian bookworm host (anywhere else they
 * are whatever the host has, new enough for Node since it runs here).
 */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return stdout.split('\n').flatMap((line) => {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    return match?.[1] ? [match[1]] : [];
  });
}

/** What node:24-bookworm-slim supplies that the image uses. */
async function supplyBase(root: string): Promise<void> {
  if (!process.versions.node.startsWith('24.')) throw new Error(`rootfs: the base image has Node 24, this is ${process.version} (put node_modules/.bin first on PATH)`);
  await mkdir(join(root, dirname(NODE_PATH)), { recursive: true });
  await copyFile(process.execPath, join(root, NODE_PATH));
  await chmod(join(root, NODE_PATH), 0o755);
  for (const library of await sharedLibraries(process.execPath)) {
    await mkdir(join(root, dirname(library)), { recursive: true });
    await copyFile(library, join(root, library));
    await chmod(join(root, library), (await stat(library)).mode & 0o777);
  }
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), PASSWD, { mode: 0o644 });
  await writeFile(join(root, 'etc/group'), GROUP, { mode: 0o644 });
  for (const mountPoint of ['proc', 'dev']) await mkdir(join(root, mountPoint), { mode: 0o755 });
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);
}

/** Builds the final stage's filesystem into `out` (created; must not exist). */
export async function buildRootfs(out: string, buildArgs: Record<string, string> = defaultBuildArgs()): Promise<void> {
  const stages = readDockerfile();
  const ignored = dockerignore();
  const scratch = await mkdtemp(join(tmpdir(), 'palisade-image-'));
  const roots: string[] = [];
  try {
    await mkdir(out);
    for (const [index, stage] of stages.entries()) {
      if (stage.base !== BASE_IMAGE) throw new Error(`Dockerfile: stage ${index} is FROM ${stage.base}; hack/image supplies only ${BASE_IMAGE}`);
      const final = index === stages.length - 1;
      const root = final ? out : join(scratch, `stage-${index}`);
      roots.push(root);
      if (final) await supplyBase(root);
      else await mkdir(root);
      const stageOf = (from: string) => {
        const at = stages.findIndex((s, i) => i < index && (s.name === from || String(i) === from));
        if (at < 0) throw new Error(`Dockerfile: COPY --from=${from}: no earlier stage of that name`);
        return roots[at] ?? '';
      };
      let workdir = '/';
      const args: Record<string, string> = {};
      const env: Record<string, string> = {};
      for (const instruction of stage.instructions) {
        switch (instruction.kind) {
          case 'WORKDIR':
            workdir = posix.resolve(workdir, instruction.path);
            await mkdir(join(root, workdir), { recursive: true });
            break;
          case 'ARG':
            args[instruction.name] = buildArgs[instruction.name] ?? instruction.default ?? '';
            break;
          case 'ENV':
            env[instruction.name] = instruction.value;
            break;
          case 'COPY': {
            const dest = join(root, posix.resolve(workdir, instruction.dest));
            const destIsDir = instruction.dest.endsWith('/') || instruction.sources.length > 1;
            for (const source of instruction.sources) {
              const from = instruction.from === undefined ? contextSource(source, ignored) : join(stageOf(instruction.from), posix.resolve('/', source));
              await copy(from, dest, destIsDir);
            }
            break;
          }
          case 'RUN': {
            if (final) throw new Error('Dockerfile: the final stage has no shell to RUN in; hack/image supports RUN in build stages only');
            const started = performance.now();
            const path = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
            // This machine's environment goes along: its registry settings and CA certificates
            // (NODE_EXTRA_CA_CERTS) are how npm reaches the registry here, as a builder's network would.
            await run('sh', ['-c', instruction.command], {
              cwd: join(root, workdir), maxBuffer: 64 << 20, env: { ...process.env, PATH: path, HOME: process.env.HOME ?? homedir(), ...args, ...env },
            });
            log(`stage ${stage.name ?? index}: RUN ${instruction.command} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
            break;
          }
          default:
            break; // USER, ENTRYPOINT, CMD: run-time configuration (dockerfile.ts imageConfig)
        }
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The build arguments the Dockerfile's comment asks for: PALISADE_COMMIT, git's HEAD, marked
 * -dirty when what the image copies from the work tree differs from it.
 */
export function defaultBuildArgs(): Record<string, string> {
  const head = readGit(['rev-parse', 'HEAD']);
  if (!head) return {};
  const changed = readGit(['status', '--porcelain', '--', ...contextSources(readDockerfile())]);
  return { PALISADE_COMMIT: changed ? `${head}-dirty` : head };
}

function readGit(args: string[]): string {
  try {
    // --no-optional-locks: reading only, never refreshing the index of a work tree others edit.
    return execFileSync('git', ['--no-optional-locks', '-C', CONTEXT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function hashTree(hash: ReturnType<typeof createHash>, path: string, name: string): Promise<void> {
  const info = await lstat(path);
  hash.update(`${name}\0${info.mode}\0`);
  if (info.isDirectory()) {
    for (const entry of (await readdir(path)).sort()) await hashTree(hash, join(path, entry), `${name}/${entry}`);
  } else if (info.isFile()) {
    hash.update(await readFile(path));
  }
}

/** A hash of everything the build reads: the Dockerfile, its context sources, this script, Node, the build arguments. */
export async function rootfsKey(buildArgs: Record<string, string>): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [DOCKERFILE, join(CONTEXT, '.dockerignore'), new URL(import.meta.url).pathname, new URL('dockerfile.ts', import.meta.url).pathname]) {
    hash.update(`${file}\0`).update(existsSync(file) ? await readFile(file) : '');
  }
  const ignored = dockerignore();
  for (const source of contextSources(readDockerfile())) await hashTree(hash, contextSource(source, ignored), source);
  hash.update(`${process.version}\0${(await stat(process.execPath)).size}\0${JSON.stringify(buildArgs)}`);
  return hash.digest('hex').slice(0, 16);
}

export interface CachedRootfs {
  dir: string;
  key: string;
  /** Built now (false: found in the cache). */
  built: boolean;
}

/** A cached build unused this long is removed (by the next build of another key). */
const UNUSED_MS = 24 * 3600_000;

/**
 * The rootfs for the work tree as it is, from $PALISADE_CACHE/image/<key> (default
 * ~/.cache/palisade), built there first if missing. Each use marks the entry used (its mtime);
 * after a build, entries unused for a day are removed, never younger ones: another work tree's
 * run may be using its own as an overlay's lower layer right now.
 */
export async function cachedRootfs(): Promise<CachedRootfs> {
  const buildArgs = defaultBuildArgs();
  const key = await rootfsKey(buildArgs);
  const cache = join(process.env.PALISADE_CACHE ?? join(homedir(), '.cache', 'palisade'), 'image');
  const dir = join(cache, key);
  if (existsSync(dir)) {
    const now = new Date();
    await utimes(dir, now, now);
    return { dir, key, built: false };
  }
  await mkdir(cache, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await buildRootfs(partial, buildArgs);
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  for (const entry of await readdir(cache)) {
    const path = join(cache, entry);
    const used = await stat(path).then((info) => info.mtimeMs, () => Date.now());
    if (entry !== key && Date.now() - used > UNUSED_MS) await rm(path, { recursive: true, force: true });
  }
  return { dir, key, built: true };
}

if (import.meta.main) {
  const out = process.argv[2];
  if (!out || process.argv.length > 3) {
    process.stderr.write('usage: node hack/image/rootfs.ts OUT\n');
    process.exit(2);
  }
  await buildRootfs(out);
  log(`built ${out}`);
}
