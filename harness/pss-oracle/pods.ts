// Generated pods for test/podsecurity/oracle.test.ts: a pod that restricted allows, with one to
// five of its risky fields changed at random (to a value that may or may not be allowed), at a
// random level and at versions on both sides of every change. Seeded: the same pods on every run.
import { integer, pick, random, type Random } from '../random.ts';
import type { OracleRequest } from './oracle.ts';

type Json = Record<string, unknown>;

/** `object[key]` as an object, created when absent. */
function at(object: Json, key: string): Json {
  object[key] ??= {};
  return object[key] as Json;
}

/** Versions around each change of a check, then "latest" and one newer than any check knows. */
const VERSIONS = ['v1.0', 'v1.7', 'v1.8', 'v1.18', 'v1.19', 'v1.22', 'v1.23', 'v1.24', 'v1.25', 'v1.26', 'v1.27', 'v1.28', 'v1.29', 'v1.30',
  'v1.31', 'v1.32', 'v1.33', 'v1.34', 'v1.35', 'v1.36', 'v1.37', 'v1.40', 'latest'];

const SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat', 'kernel.msgmax', 'net.core.somaxconn', ''];
const CAPABILITIES = ['ALL', 'NET_BIND_SERVICE', 'CHOWN', 'NET_RAW', 'SYS_ADMIN', 'KILL', 'all'];
const PROFILE_TYPES = ['RuntimeDefault', 'Localhost', 'Unconfined', ''];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_engine_t', 'spc_t'];
// The last ones for the messages: Go's %q escapes quotes and control characters, keeps printable non-ASCII.
const ANNOTATION_VALUES = ['runtime/default', 'docker/default', 'localhost/profile', 'unconfined', '', 'unconfined\t"x"', 'né\u0001'];
const HOSTS = ['', '', '10.0.0.1', 'example.com'];
const VOLUMES: Json[] = [{}, { emptyDir: {} }, { hostPath: { path: '/var/run' } }, { nfs: { server: 'nfs', path: '/' } },
  { configMap: { name: 'c' } }, { gitRepo: { repository: 'r' } }, { csi: { driver: 'd' } }, { image: { reference: 'busybox' } },
  { hostPath: { path: '/' }, secret: { secretName: 's' } }];

const optional = <T>(next: Random, values: readonly T[]): T | undefined => (next() < 0.25 ? undefined : pick(next, values));

/** Sets `key` of `object` to a random one of `values`, or removes it. */
function maybeSet(next: Random, object: Json, key: string, values: readonly unknown[]): void {
  const value = optional(next, values);
  if (value === undefined) delete object[key];
  else object[key] = value;
}

function compliantContainer(name: string): Json {
  return {
    name,
    image: 'registry.k8s.io/pause',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

function compliantPod(next: Random): Json {
  const containers = Array.from({ length: 1 + integer(next, 2) }, (_, index) => compliantContainer(`c${index}`));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'generated' },
    spec: {
      containers,
      ...(next() < 0.4 ? { initContainers: [compliantContainer('init')] } : {}),
      ...(next() < 0.1 ? { ephemeralContainers: [compliantContainer('debug')] } : {}),
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    },
  };
}

/** A random container, init and ephemeral ones included. */
const anyContainer = (next: Random, spec: Json): Json =>
  pick(next, ['containers', 'initContainers', 'ephemeralContainers'].flatMap((key) => (spec[key] as Json[] | undefined) ?? []));

const containerContext = (next: Random, spec: Json): Json => at(anyContainer(next, spec), 'securityContext');

/** The pod's security context or a random container's: most fields may be set in either. */
const anyContext = (next: Random, spec: Json): Json => (next() < 0.5 ? at(spec, 'securityContext') : containerContext(next, spec));

type Mutation = (next: Random, pod: { metadata: Json; spec: Json }) => void;

/** One risky field each, on the pod or on a random container. */
const MUTATIONS: Mutation[] = [
  (next, { spec }) => maybeSet(next, spec, pick(next, ['hostNetwork', 'hostPID', 'hostIPC']), [true, false]),
  (next, { spec }) => maybeSet(next, spec, 'hostUsers', [true, false]),
  (next, { spec }) => maybeSet(next, at(spec, 'os'), 'name', ['linux', 'windows']),
  (next, { spec }) => maybeSet(next, anyContext(next, spec), 'runAsNonRoot', [true, false]),
  (next, { spec }) => maybeSet(next, anyContext(next, spec), 'runAsUser', [0, 1000]),
  (next, { spec }) => maybeSet(next, anyContext(next, spec), 'seccompProfile',
    PROFILE_TYPES.map((type) => (type === 'Localhost' ? { type, localhostProfile: 'p.json' } : { type }))),
  (next, { spec }) => maybeSet(next, anyContext(next, spec), 'appArmorProfile',
    PROFILE_TYPES.map((type) => (type === 'Localhost' ? { type, localhostProfile: 'p' } : { type }))),
  (next, { spec }) => {
    const options = { type: pick(next, SELINUX_TYPES), ...(next() < 0.2 ? { user: 'u' } : {}), ...(next() < 0.2 ? { role: 'r' } : {}) };
    anyContext(next, spec).seLinuxOptions = options;
  },
  (next, { spec }) => maybeSet(next, anyContext(next, spec), 'windowsOptions',
    [{ hostProcess: true }, { hostProcess: false }]),
  (next, { spec }) => {
    at(spec, 'securityContext').sysctls = Array.from({ length: 1 + integer(next, 2) }, () => ({ name: pick(next, SYSCTLS), value: '1' }));
  },
  (next, { spec }) => maybeSet(next, containerContext(next, spec), 'privileged', [true, false]),
  (next, { spec }) => maybeSet(next, containerContext(next, spec), 'allowPrivilegeEscalation', [true, false]),
  (next, { spec }) => maybeSet(next, containerContext(next, spec), 'procMount', ['Default', 'Unmasked']),
  (next, { spec }) => {
    const capabilities = at(containerContext(next, spec), 'capabilities');
    maybeSet(next, capabilities, pick(next, ['add', 'drop']), [[pick(next, CAPABILITIES)], [pick(next, CAPABILITIES), pick(next, CAPABILITIES)]]);
  },
  (next, { spec }) => {
    const container = anyContainer(next, spec);
    container.ports = [{ containerPort: pick(next, [80, 8080]), ...(next() < 0.6 ? { hostPort: pick(next, [0, 9, 80, 10]) } : {}) }];
  },
  (next, { spec }) => {
    const container = anyContainer(next, spec);
    const handler = () => (next() < 0.5 ? { httpGet: { port: 8080, host: pick(next, HOSTS) } } : { tcpSocket: { port: 8080, host: pick(next, HOSTS) } });
    if (next() < 0.5) container[pick(next, ['livenessProbe', 'readinessProbe', 'startupProbe'])] = handler();
    else at(container, 'lifecycle')[pick(next, ['postStart', 'preStop'])] = handler();
  },
  (next, { spec }) => {
    spec.volumes = Array.from({ length: 1 + integer(next, 3) }, (_, index) => ({ name: `v${index}`, ...pick(next, VOLUMES) }));
  },
  (next, { metadata, spec }) => {
    const container = anyContainer(next, spec);
    const key = pick(next, ['seccomp.security.alpha.kubernetes.io/pod', `container.seccomp.security.alpha.kubernetes.io/${String(container.name)}`,
      `container.apparmor.security.beta.kubernetes.io/${String(container.name)}`]);
    at(metadata, 'annotations')[key] = pick(next, ANNOTATION_VALUES);
  },
];

export function generatedPods(count: number, seed = 17): OracleRequest[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const pod = compliantPod(next) as { metadata: Json; spec: Json };
    for (let changes = 1 + integer(next, 5); changes > 0; changes--) pick(next, MUTATIONS)(next, pod);
    return {
      level: pick(next, ['baseline', 'restricted'] as const),
      version: pick(next, VERSIONS),
      pod: pod as unknown as OracleRequest['pod'],
      ...(next() < 0.2 ? { template: true } : {}),
    };
  });
}
