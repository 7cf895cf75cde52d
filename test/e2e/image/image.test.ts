// The image, without a container engine: the filesystem the Dockerfile produces
// (hack/image/rootfs.ts carries out its instructions), run the way the Deployment runs it
// (harness/image.ts: its user, a read-only root, no capabilities, in-cluster credentials of the
// ServiceAccount palisade-system/palisade-operator) against the real control plane, with the
// RBAC of config/default. What this cannot prove: that a registry's node:24-bookworm-slim, an
// engine's layers and a kubelet behave as these stand-ins do (README, "The image").
//
// The cluster is the run's shared one, so the operator keeps to its own: a Lease of its own name
// (no other suite's operator waits on it, nor it on theirs), removed at the end with the namespace
// it fenced. config/default stays installed, as test/e2e/foundation leaves it: later suites use its
// CRDs and config/rbac (test/support/least-privilege.ts applies it once per control plane).
import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadAll } from 'js-yaml';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { OPERATOR_USER } from '../../support/least-privilege.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { httpGet } from '../../../harness/operator.ts';
import { checkImagePrerequisites, runImage, stopImage, writtenPaths, type ImageProcess } from '../../../harness/image.ts';
import { freePort } from '../../../harness/ports.ts';
import { imageConfig, readDockerfile } from '../../../hack/image/dockerfile.ts';
import { cachedRootfs, NODE_PATH, type CachedRootfs } from '../../../hack/image/rootfs.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DEFAULTS = join(ROOT, 'config/default');
const EXAMPLE = join(ROOT, 'examples/namespaceringfence.yaml');
const SERVICE_ACCOUNT_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';
const POD_NAME = 'palisade-operator-image-test';
/** This run's: namespace and Lease names of its own. */
const RUN = Date.now().toString(36);
const LEASE = `${POD_NAME}-${RUN}`;
/** The base image's PATH (node:24-bookworm-slim, Debian's default). */
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

interface Container {
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
  containers: Container[];
}

/** Fields of /proc/PID/status, e.g. Uid → ['65532', '65532', '65532', '65532']. */
async function procStatus(pid: number): Promise<Record<string, string[]>> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((line) => {
    const [name = '', value = ''] = line.split(':\t');
    return [name, value.trim().split(/\s+/).filter(Boolean)];
  }));
}

/** Package directories under node_modules, as paths like node_modules/a/node_modules/@s/b. */
async function installedPackages(dir: string, prefix = 'node_modules'): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(dir, prefix)).catch(() => [] as string[])) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? (await readdir(join(dir, prefix, entry))).map((name) => `${entry}/${name}`) : [entry];
    for (const name of names) {
      const path = `${prefix}/${name}`;
      found.push(path, ...await installedPackages(dir, `${path}/node_modules`));
    }
  }
  return found;
}

describe('the image: the Dockerfile\'s filesystem, run as the Deployment runs it', function () {
  this.timeout(120_000);
  const stages = readDockerfile();
  const config = imageConfig(stages);
  let rootfs: CachedRootfs;
  let kubeconfig = '';
  let pod: PodSpec;
  let healthPort: number;
  let image: (ImageProcess & { runDir: string }) | undefined;
  let namespace: string | undefined;
  let ready: Promise<void> = Promise.resolve();
  const timings: Record<string, number> = {};

  before(async function () {
    this.timeout(900_000);
    await checkImagePrerequisites();
    const started = performance.now();
    rootfs = await cachedRootfs();
    timings[rootfs.built ? 'rootfs built' : 'rootfs from cache'] = performance.now() - started;
    const plane = await sharedCluster();
    kubeconfig = plane.kubeconfig;

    // config/default as users apply it, but for the Deployment: this test is its pod.
    const rendered = loadAll(await kubectlOk(kubeconfig, ['kustomize', DEFAULTS])) as K8sObject[];
    const deployment = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'palisade-operator');
    if (!deployment) throw new Error('config/default has no Deployment palisade-operator');
    pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
    const rest = rendered.filter((o) => o !== deployment);
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }));
    await eventually(async () => expect((await kubectl(kubeconfig, ['auth', 'can-i', 'update', 'leases', '-n', 'palisade-system', `--as=${OPERATOR_USER}`])).stdout.trim()).to.equal('yes'));
    const token = (await kubectlOk(kubeconfig, ['create', 'token', pod.serviceAccountName, '-n', 'palisade-system', '--duration=1h'])).trim();

    // The container's environment as the kubelet builds it: envFrom, then env (fieldRefs resolved), then the service's variables.
    const container = pod.containers[0];
    if (!container) throw new Error('the Deployment has no container');
    const env: Record<string, string> = { PATH: BASE_PATH, HOME: '/', HOSTNAME: POD_NAME, ...config.env };
    for (const source of container.envFrom ?? []) {
      const map = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef?.name);
      if (!map) throw new Error(`envFrom names ConfigMap ${source.configMapRef?.name}, which config/default does not make`);
      Object.assign(env, map.data);
    }
    const fields: Record<string, string> = { 'metadata.namespace': deployment.metadata.namespace ?? '', 'metadata.name': POD_NAME };
    for (const variable of container.env ?? []) {
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      const value = field === undefined ? variable.value : fields[field];
      if (value === undefined) throw new Error(`env ${variable.name}: only values and the fieldRefs ${Object.keys(fields).join(', ')} are supported here`);
      env[variable.name] = value;
    }
    Object.assign(env, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(plane.port) });

    // The machine's network is shared (see harness/image.ts): loopback ports of its own instead of :8081 and :8080.
    healthPort = await freePort();
    const args = [...(container.args ?? config.cmd), `--health-address=127.0.0.1:${healthPort}`, `--metrics-address=127.0.0.1:${await freePort()}`,
      `--leader-election-id=${LEASE}`];
    const spawned = performance.now();
    image = await runImage({
      rootfs: rootfs.dir, command: [...config.entrypoint, ...args], workdir: config.workdir,
      user: { uid: pod.securityContext.runAsUser ?? config.user.uid, gid: pod.securityContext.runAsGroup ?? config.user.gid },
      env, hostname: POD_NAME,
      serviceAccount: { token, caCert: readFileSync(plane.pki.caCert), namespace: deployment.metadata.namespace ?? '' },
    });
    timings['spawn to first log line'] = performance.now() - spawned;
    // Polled from the start, so that the time to ready is measured while the other checks run.
    ready = eventually(async () => expect((await httpGet(healthPort, '/readyz')).status).to.equal(200), 90_000, 100)
      .then(() => {
        timings['spawn to /readyz 200'] = performance.now() - spawned;
      });
    ready.catch(() => undefined); // awaited (and reported) by its test
  });

  after(async function () {
    this.timeout(90_000);
    // SIGTERM first (it gives its Lease up), SIGKILL only if it hangs; stopImage returns once it is gone.
    if (image) await stopImage(image, 'SIGTERM', 10_000);
    image = undefined;
    if (kubeconfig) {
      await kubectl(kubeconfig, ['delete', 'lease', LEASE, '-n', 'palisade-system', '--ignore-not-found']);
      if (namespace) await kubectl(kubeconfig, ['delete', 'namespace', namespace, '--ignore-not-found', '--timeout=60s']);
    }
    for (const [what, ms] of Object.entries(timings)) console.log(`      ${what}: ${(ms / 1000).toFixed(1)} s`);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && image) {
      console.log(`the image's stderr:\n${image.stderr()}\nits last log lines:\n${image.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
    }
  });

  it('holds what the Dockerfile copies and the base image\'s Node, nothing else: no dev dependency, no source', async function () {
    const final = stages.at(-1)?.instructions ?? [];
    const copied = final.flatMap((i) => {
      if (i.kind !== 'COPY') return [];
      const dest = posix.resolve(config.workdir, i.dest);
      return i.dest.endsWith('/') && i.from === undefined ? i.sources.map((s) => posix.join(dest, posix.basename(s))) : [dest.replace(/\/$/, '')];
    });
    expect(copied.sort()).to.deep.equal(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect((await readdir(join(rootfs.dir, 'app'))).sort()).to.deep.equal(['dist', 'node_modules', 'package.json']);
    expect(await readFile(join(rootfs.dir, 'app/package.json'), 'utf8')).to.equal(readFileSync(join(ROOT, 'package.json'), 'utf8'));

    // Outside /app: Node and its libraries, the users, empty /tmp and mount points.
    const top = (await readdir(rootfs.dir)).sort();
    expect(top.filter((entry) => !/^lib/.test(entry))).to.deep.equal(['app', 'dev', 'etc', 'proc', 'tmp', 'usr']);
    for (const empty of ['dev', 'proc', 'tmp']) expect(await readdir(join(rootfs.dir, empty)), empty).to.deep.equal([]);
    expect(((await stat(join(rootfs.dir, 'tmp'))).mode & 0o7777).toString(8)).to.equal('1777');
    expect((await readdir(join(rootfs.dir, 'etc'))).sort()).to.deep.equal(['group', 'passwd']);
    expect(await readdir(join(rootfs.dir, 'usr'), { recursive: true })).to.have.members(['local', 'local/bin', 'local/bin/node']);
    expect(NODE_PATH).to.equal('/usr/local/bin/node');

    // node_modules is what the lockfile installs without dev dependencies: every production package, no dev one.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
    const installed = new Set(await installedPackages(join(rootfs.dir, 'app')));
    const entries = Object.entries(lock.packages).filter(([path]) => path !== '');
    const dev = entries.filter(([, entry]) => entry.dev).map(([path]) => path);
    const production = entries.filter(([, entry]) => !entry.dev && !entry.optional && !entry.devOptional).map(([path]) => path);
    expect(dev.length, 'the lockfile has dev dependencies to leave out').to.be.above(0);
    expect(dev.filter((path) => installed.has(path)), 'dev dependencies in the image').to.deep.equal([]);
    expect(production.filter((path) => !installed.has(path)), 'production dependencies missing').to.deep.equal([]);
    // By name too: the dev dependencies no production package needs (@types/node is one that is needed:
    // @kubernetes/client-node depends on it), the second Node of the `node` package among them.
    const devDependencies = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies)
      .filter((name) => lock.packages[`node_modules/${name}`]?.dev);
    expect(devDependencies).to.include.members(['node', 'mocha', 'typescript', 'eslint']);
    for (const name of devDependencies) expect(installed.has(`node_modules/${name}`), name).to.equal(false);

    // dist is the compiled code only: JavaScript and the build info, no TypeScript, no tests.
    const dist = (await readdir(join(rootfs.dir, 'app/dist'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
      .map((e) => posix.relative(join(rootfs.dir, 'app/dist'), join(e.parentPath, e.name)));
    expect(dist).to.include.members(['cli/main.js', 'build-info.json']);
    expect(dist.filter((file) => !file.endsWith('.js') && file !== 'build-info.json')).to.deep.equal([]);
    expect(dist.filter((file) => /(^|\/)test\//.test(file))).to.deep.equal([]);
  });

  it('runs the Dockerfile\'s ENTRYPOINT as the Deployment\'s user 65532, with no capability and no way to gain one, as pid 1', async function () {
    expect(config.user).to.deep.equal({ uid: 65532, gid: 65532 });
    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    const security = pod.containers[0]?.securityContext;
    expect(security).to.deep.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

    const status = await procStatus(image!.pid);
    expect(status.Uid).to.deep.equal(['65532', '65532', '65532', '65532']);
    expect(status.Gid).to.deep.equal(['65532', '65532', '65532', '65532']);
    expect(status.Groups).to.deep.equal([]);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(status[set], set).to.deep.equal(['0000000000000000']);
    expect(status.NoNewPrivs).to.deep.equal(['1']);
    expect(status.NSpid?.at(-1), 'pid 1 of its own pid namespace').to.equal('1');
    const cmdline = (await readFile(`/proc/${image!.pid}/cmdline`, 'utf8')).split('\0').slice(0, -1);
    expect(cmdline.slice(0, 3)).to.deep.equal([...config.entrypoint, 'operator']);
    expect(await readlink(`/proc/${image!.pid}/cwd`)).to.equal(join(image!.runDir, 'root', config.workdir));
    expect(readFileSync(`/proc/${image!.pid}/environ`, 'utf8').split('\0')).to.include.members(['NODE_ENV=production', 'POD_NAMESPACE=palisade-system']);
  });

  it('has a read-only root: neither its user nor root in its namespaces can write /, /app or /tmp', async function () {
    const mounts = await readFile(`/proc/${image!.pid}/mountinfo`, 'utf8');
    const root = mounts.split('\n').find((line) => line.split(' ')[4] === '/');
    expect(root?.split(' ')[5]?.split(',')).to.include('ro');
    const tryWrites = 'for (const p of ["/x", "/app/x", "/app/dist/x", "/tmp/x"]) { try { require("fs").writeFileSync(p, ""); console.log(p, "written") } catch (e) { console.log(p, e.code) } }';
    for (const user of [['-S', '65532', '-G', '65532'], []]) {
      const { stdout } = await promisify(execFile)('nsenter', ['-t', String(image!.pid), '-m', '-p', '-r', '-w', ...user, '--', NODE_PATH, '-e', tryWrites]);
      expect(stdout.trim().split('\n'), `as ${user.length ? 'uid 65532' : 'root'}`).to.deep.equal(['/x EROFS', '/app/x EROFS', '/app/dist/x EROFS', '/tmp/x EROFS']);
    }
  });

  it('reads its in-cluster credentials and answers /readyz with 200', async function () {
    await ready;
    expect((await httpGet(healthPort, '/readyz')).status).to.equal(200);
    expect(image!.logs.some((l) => l.message === 'caches synced')).to.equal(true);
    expect(image!.logs.filter((l) => l.message === 'leading').map((l) => l.lease), 'the Lease it leads: its own').to.deep.equal([LEASE]);
  });

  it('makes the example NamespaceRingfence Ready, as its ServiceAccount', async function () {
    this.timeout(180_000);
    namespace = `image-${RUN}`;
    const [, ringfence] = loadAll(readFileSync(EXAMPLE, 'utf8')) as K8sObject[];
    if (!ringfence) throw new Error(`${EXAMPLE} has no NamespaceRingfence`);
    await kubectlOk(kubeconfig, ['create', 'namespace', namespace]);
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...ringfence, metadata: { ...ringfence.metadata, namespace } }));
    const applied = performance.now();
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready=True', `namespaceringfence/${ringfence.metadata.name}`, '-n', namespace, '--timeout=150s']);
    timings['ringfence applied to Ready'] = performance.now() - applied;
    const policies = await kubectlOk(kubeconfig, ['get', 'networkpolicies', '-n', namespace, '-o', 'name']);
    expect(policies).to.include('networkpolicy.networking.k8s.io/palisade-default-deny');
  });

  it('wrote nothing to its root filesystem, and stops on SIGTERM with exit code 0', async function () {
    const mountPoint = SERVICE_ACCOUNT_DIR.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    expect(await writtenPaths(image!), 'the writable layer holds only the mount point made for the volume').to.deep.equal(mountPoint);
    expect(image!.logs.filter((l) => /EROFS|EACCES|read-only file system/i.test(JSON.stringify(l)))).to.deep.equal([]);
    const stopping = image!;
    image = undefined;
    expect(await stopImage(stopping, 'SIGTERM')).to.equal(0);
    expect(stopping.logs.some((l) => l.message === 'stopped')).to.equal(true);
    const lease = JSON.parse(await kubectlOk(kubeconfig, ['get', 'lease', LEASE, '-n', 'palisade-system', '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(lease.spec.holderIdentity ?? '', 'the Lease given up on SIGTERM').to.equal('');
  });
});
