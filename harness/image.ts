// Runs the image's filesystem (hack/image/rootfs.ts) the way a container runtime runs a pod's
// container, without one: as root, in new mount, pid and UTS namespaces (setpriv --pdeathsig and
// unshare --kill-child: nothing outlives the test), it mounts the rootfs as an overlay's lower
// layer (the upper layer holds only the mount points made here, like a runtime's writable layer),
// /proc, a /dev of the usual device nodes and the ServiceAccount volume read-only at
// /var/run/secrets/kubernetes.io/serviceaccount, remounts the root read-only
// (readOnlyRootFilesystem), and hands over to image-exec (image-exec/main.go): chroot, WORKDIR, the
// user, no capabilities, no_new_privs, exec with only the environment given.
//
// No network or user namespace: the test's apiserver listens on the machine's loopback, which a
// new network namespace would not reach without a veth pair and routes; and a Kubernetes pod has
// no user namespace either unless it asks (hostUsers: false), so uid 65532 in the image is uid
// 65532 on the machine, as here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedGoBinary, palisadeCache } from './go-binary.ts';

export interface ServiceAccountVolume {
  token: string;
  caCert: Buffer;
  namespace: string;
}

export interface ImageRunOptions {
  rootfs: string;
  /** The process: the image's ENTRYPOINT followed by CMD or the pod's args. */
  command: string[];
  workdir: string;
  user: { uid: number; gid: number };
  /** The process's whole environment (the image's ENV, the pod's env, the runtime's PATH and HOME). */
  env: Record<string, string>;
  hostname: string;
  serviceAccount: ServiceAccountVolume;
}

export interface ImageProcess {
  /** The image's process, as this machine numbers it (it is pid 1 in its own namespace). */
  pid: number;
  /** Its JSON log lines. */
  logs: Record<string, unknown>[];
  /** What the runtime side and the process wrote to stderr. */
  stderr: () => string;
  /** The overlay's writable layer: what was written to the root filesystem. */
  upperDir: string;
  exited: Promise<number | null>;
  child: ChildProcess;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

// $1 rootfs, $2 run directory, $3 image-exec, $4 hostname; the rest is image-exec's after -root.
const SETUP = `set -euo pipefail
rootfs=$1 run=$2 exec=$3 name=$4; shift 4
root=$run/root
mkdir -p "$run/upper" "$run/work" "$root"
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/work" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,noexec,mode=755,size=64k tmpfs "$root/dev"
for device in ${DEVICES.join(' ')}; do touch "$root/dev/$device"; mount --bind "/dev/$device" "$root/dev/$device"; done
# The volume's mount point, made in the writable layer as a runtime makes it (never through a symlink).
[[ ! -L $root/var && ! -L $root/var/run ]]
mkdir -p "$root${SERVICE_ACCOUNT_DIR}"
mount --bind -o ro "$run/serviceaccount" "$root${SERVICE_ACCOUNT_DIR}"
mount -o remount,ro "$root"
hostname "$name"
exec "$exec" -root "$root" "$@"
`;

const EXEC_SOURCE = new URL('image-exec', import.meta.url).pathname;
/** The PATH the runtime side runs with (setpriv, unshare, bash and SETUP's commands are found on it). */
const RUNTIME_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** statfs's f_type of overlayfs, which cannot be an overlay's upper layer. */
const OVERLAYFS_MAGIC = 0x794c7630;

/** What the image run needs of this machine: a command, where it is looked for, and where it comes from. */
const TOOLS: { command: string; path: 'runtime' | 'process'; from: string }[] = [
  { command: 'setpriv', path: 'runtime', from: 'util-linux' },
  { command: 'unshare', path: 'runtime', from: 'util-linux' },
  { command: 'nsenter', path: 'process', from: 'util-linux' },
  { command: 'mount', path: 'runtime', from: 'mount' },
  { command: 'hostname', path: 'runtime', from: 'hostname' },
  { command: 'bash', path: 'runtime', from: 'bash' },
  { command: 'ldd', path: 'process', from: 'libc-bin; hack/image/rootfs.ts' },
  { command: 'go', path: 'process', from: 'https://go.dev/dl; harness/image-exec' },
];

function onPath(command: string, path: string): boolean {
  return path.split(':').some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether an overlay with its writable layer under `base` mounts (in a mount namespace of its own, gone at once). */
async function overlayMounts(base: string): Promise<string | undefined> {
  await mkdir(base, { recursive: true });
  if ((await statfs(base)).type === OVERLAYFS_MAGIC) return `${base} is itself overlayfs`;
  const dir = await mkdtemp(join(base, 'palisade-overlay-check-'));
  try {
    for (const sub of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, sub));
    const options = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
    const run = spawnSync('unshare', ['--mount', '--', 'mount', '-t', 'overlay', 'overlay', '-o', options, join(dir, 'merged')],
      { encoding: 'utf8', env: { PATH: RUNTIME_PATH } });
    return run.status === 0 ? undefined : `mount -t overlay in ${base}: ${(run.error?.message ?? run.stderr).trim()}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let runBase: Promise<{ base?: string; failures: string[] }> | undefined;

/**
 * Where run directories go: the first of the temporary directory, $PALISADE_CACHE/run and
 * /dev/shm on which an overlay's writable layer mounts (none is overlayfs itself, as /tmp is in
 * some containers).
 */
function findRunBase(): Promise<{ base?: string; failures: string[] }> {
  runBase ??= (async () => {
    const failures: string[] = [];
    for (const base of [tmpdir(), join(palisadeCache(), 'run'), '/dev/shm']) {
      const failure = await overlayMounts(base).catch((error: unknown) => `${base}: ${error instanceof Error ? error.message : String(error)}`);
      if (failure === undefined) return { base, failures };
      failures.push(failure);
    }
    return { failures };
  })();
  return runBase;
}

/**
 * Throws one error naming everything the image run lacks on this machine: root, the commands
 * (util-linux's setpriv, unshare and nsenter, mount, hostname, bash, ldd, Go) and a directory
 * where an overlay mounts. Call it first: every later failure would name only one of them.
 */
export async function checkImagePrerequisites(): Promise<void> {
  const missing: string[] = [];
  const root = process.getuid?.() === 0;
  if (!root) missing.push('root (uid 0): the run mounts and enters namespaces');
  for (const tool of TOOLS) {
    const path = tool.path === 'runtime' ? RUNTIME_PATH : process.env.PATH ?? '';
    if (!onPath(tool.command, path)) missing.push(`${tool.command} on PATH ${path} (${tool.from})`);
  }
  if (root && missing.length === 0) {
    const { base, failures } = await findRunBase();
    if (base === undefined) missing.push(`overlayfs for the writable layer, in none of: ${failures.join('; ')}`);
  }
  if (missing.length) throw new Error(`the image test cannot run on this machine; missing:\n  - ${missing.join('\n  - ')}`);
}

/** Starts the image's process; resolves once it runs (its first log line) with its pid on this machine. */
export async function runImage(options: ImageRunOptions): Promise<ImageProcess & { runDir: string }> {
  await checkImagePrerequisites();
  const exec = cachedGoBinary(EXEC_SOURCE, 'image-exec');
  const { base } = await findRunBase();
  const runDir = await mkdtemp(join(base ?? tmpdir(), 'palisade-image-run-'));
  // The ServiceAccount volume as the kubelet projects it: world-readable files, owned by root. The
  // run directory stays 0700: the process reaches the volume through its mount, never through it.
  const volume = join(runDir, 'serviceaccount');
  await mkdir(volume, { mode: 0o755 });
  await chmod(volume, 0o755);
  await writeFile(join(volume, 'token'), options.serviceAccount.token, { mode: 0o644 });
  await writeFile(join(volume, 'ca.crt'), options.serviceAccount.caCert, { mode: 0o644 });
  await writeFile(join(volume, 'namespace'), options.serviceAccount.namespace, { mode: 0o644 });
  const execArgs = ['-wd', options.workdir, '-user', `${options.user.uid}:${options.user.gid}`,
    ...Object.entries(options.env).flatMap(([name, value]) => ['-e', `${name}=${value}`]), '--', ...options.command];
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--pid', '--uts', '--fork', '--kill-child', '--',
    'bash', '-c', SETUP, 'image-setup', options.rootfs, runDir, exec, options.hostname, ...execArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: RUNTIME_PATH } });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const logs: Record<string, unknown>[] = [];
  const firstLine = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      resolve();
    });
    void exited.then((code) => reject(new Error(`the image's process exited with ${code} before logging. stderr:\n${stderr}`)));
  });
  try {
    await firstLine;
    const pid = await childPid(child.pid ?? 0);
    return { pid, logs, stderr: () => stderr, upperDir: join(runDir, 'upper'), exited, child, runDir };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
}

/** unshare's one child: the namespace's pid 1, which became the image's process. */
async function childPid(unshare: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const children = (await readFile(`/proc/${unshare}/task/${unshare}/children`, 'utf8').catch(() => '')).trim();
    if (children) return Number(children.split(' ')[0]);
    await sleep(100);
  }
  throw new Error(`unshare (pid ${unshare}) has no child`);
}

/** Every path in the overlay's writable layer, relative to the root. */
export async function writtenPaths(image: ImageProcess): Promise<string[]> {
  const paths = await readdir(image.upperDir, { recursive: true });
  return paths.sort();
}

/**
 * Stops the image's process with `signal` (its pid 1: it gets only the signals it handles), then
 * SIGKILL after `graceMs`; resolves with the exit code once the process is gone, and removes the
 * run directory.
 */
export async function stopImage(image: ImageProcess & { runDir: string }, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | null> {
  if (image.child.exitCode === null && image.child.signalCode === null) {
    try {
      process.kill(image.pid, signal);
    } catch {
      // already gone
    }
    const stopped = await Promise.race([image.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) image.child.kill('SIGKILL'); // unshare --kill-child takes the namespace with it
  }
  const code = await image.exited;
  // unshare is gone; its child, killed by its parent-death signal, may be a moment behind.
  for (let attempt = 0; existsSync(`/proc/${image.pid}`); attempt++) {
    if (attempt === 50) throw new Error(`the image's process (pid ${image.pid}) outlived unshare`);
    await sleep(100);
  }
  await rm(image.runDir, { recursive: true, force: true });
  return code;
}
