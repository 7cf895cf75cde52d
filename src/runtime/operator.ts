// The operator process: configuration from flags and environment, the API client, the manager
// and its controllers, the HTTP endpoints, and signals. SIGTERM stops taking work, lets work in
// flight finish, releases the lease and exits 0; a lost lease exits 1 at once.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { metricsServiceNames, readKeyPair, selfSignedCertificate, watchKeyPair } from './certificate.ts';
import { KubeClient } from './client.ts';
import { loadCredentials } from './credentials.ts';
import type { ControllerSpec } from './controller.ts';
import { EventRecorder } from './events.ts';
import { Executor } from './executor.ts';
import { parseAddress, serve, type Served } from './health.ts';
import { HeapWatcher } from './heap.ts';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from './logging.ts';
import { Manager } from './manager.ts';
import { errorMessage } from './errors.ts';
import { MetricsAuthorizer } from './metrics-auth.ts';
import { Metrics } from './metrics.ts';

export interface OperatorConfig {
  kubeconfig?: string;
  /** The namespace the operator runs in (POD_NAMESPACE, set from the Downward API). */
  namespace: string;
  /** The values of the flags the controllers declared, by flag name. */
  settings: Settings;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  metricsAddress: string;
  /** /metrics over HTTPS, each request authenticated (TokenReview) and authorized (SubjectAccessReview). */
  metricsSecure: boolean;
  /** A directory with tls.crt and tls.key for the metrics server; a self-signed certificate without. */
  metricsCertPath?: string;
  healthAddress: string;
  logLevel: LogLevel;
  concurrency: number;
  resyncMs: number;
}

/** A flag a controller declares: the runtime parses it, the controller reads its value from `settings`. */
export interface ControllerFlag {
  name: string;
  /** The environment variable read when the flag is not given. */
  env: string;
  /** How the value looks in the help, e.g. URL,... */
  placeholder: string;
  description: string;
}

export type Settings = Readonly<Record<string, string>>;

/** Every flag, the controllers' after the runtime's, for `palisade help`. */
export function operatorFlags(controllerFlags: readonly ControllerFlag[]): string {
  const lines = controllerFlags.map(({ name, env, placeholder, description }) =>
    `  ${`--${name} ${placeholder}`.padEnd(31)}${description} [${env}]`);
  return [RUNTIME_FLAGS, ...lines].join('\n');
}

const RUNTIME_FLAGS = `Flags (each also read from the environment variable in brackets):
  --kubeconfig PATH              kubeconfig to use; default: in-cluster, then KUBECONFIG, then ~/.kube/config
  --leader-elect BOOL            elect a leader among replicas (default true) [PALISADE_LEADER_ELECT]
  --leader-election-namespace NS the Lease's namespace (default: POD_NAMESPACE, else palisade-system)
  --leader-election-id NAME      the Lease's name (default palisade-operator)
  --metrics-address HOST:PORT    /metrics (default 0.0.0.0:8443; 0.0.0.0:8080 when not secure) [PALISADE_METRICS_ADDRESS]
  --metrics-secure BOOL          /metrics over HTTPS to callers the API server authenticates (TokenReview) and
                                 authorizes (SubjectAccessReview: get /metrics); false: plain HTTP (default true) [PALISADE_METRICS_SECURE]
  --metrics-cert-path DIR        tls.crt and tls.key for /metrics, read again when they change
                                 (default: a self-signed certificate made at start) [PALISADE_METRICS_CERT_PATH]
  --health-address HOST:PORT     /healthz and /readyz (default 0.0.0.0:8081) [PALISADE_HEALTH_ADDRESS]
  --log-level LEVEL              error, warn, info or debug (default info) [PALISADE_LOG_LEVEL]
  --concurrency N                workers per controller (default 2) [PALISADE_CONCURRENCY]
  --resync SECONDS               re-reconcile everything this often (default 600) [PALISADE_RESYNC_SECONDS]`;

const DEFAULT_NAMESPACE = 'palisade-system';

/** Reads the configuration; throws an Error naming the flag at fault. */
export function operatorConfig(argv: string[], env: NodeJS.ProcessEnv = process.env, controllerFlags: readonly ControllerFlag[] = []): OperatorConfig {
  const declared = Object.fromEntries(controllerFlags.map((flag) => [flag.name, { type: 'string' as const, default: env[flag.env] ?? '' }]));
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      'kubeconfig': { type: 'string' },
      'leader-elect': { type: 'string', default: env.PALISADE_LEADER_ELECT ?? 'true' },
      'leader-election-namespace': { type: 'string', default: env.POD_NAMESPACE ?? DEFAULT_NAMESPACE },
      'leader-election-id': { type: 'string', default: 'palisade-operator' },
      'metrics-address': { type: 'string' },
      'metrics-secure': { type: 'string', default: env.PALISADE_METRICS_SECURE ?? 'true' },
      'metrics-cert-path': { type: 'string', default: env.PALISADE_METRICS_CERT_PATH },
      'health-address': { type: 'string', default: env.PALISADE_HEALTH_ADDRESS ?? '0.0.0.0:8081' },
      'log-level': { type: 'string', default: env.PALISADE_LOG_LEVEL ?? 'info' },
      'concurrency': { type: 'string', default: env.PALISADE_CONCURRENCY ?? '2' },
      'resync': { type: 'string', default: env.PALISADE_RESYNC_SECONDS ?? '600' },
      ...declared,
    },
  });
  const leaderElect = values['leader-elect'];
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new Error(`--leader-elect must be true or false, not "${leaderElect}"`);
  const metricsSecure = values['metrics-secure'];
  if (metricsSecure !== 'true' && metricsSecure !== 'false') throw new Error(`--metrics-secure must be true or false, not "${metricsSecure}"`);
  const metricsAddress = values['metrics-address'] ?? env.PALISADE_METRICS_ADDRESS ?? (metricsSecure === 'true' ? '0.0.0.0:8443' : '0.0.0.0:8080');
  const metricsCertPath = values['metrics-cert-path'] || undefined;
  const healthAddress = values['health-address'];
  const [metricsPort, healthPort] = [portOf('--metrics-address', metricsAddress), portOf('--health-address', healthAddress)];
  // By port, not address: 0.0.0.0:8081 and 127.0.0.1:8081 would clash at bind time anyway (EADDRINUSE).
  if (metricsSecure === 'true' && metricsPort !== 0 && metricsPort === healthPort) {
    throw new Error(`--metrics-address ${metricsAddress} and --health-address ${healthAddress} are both port ${metricsPort}: with `
      + '--metrics-secure=true /metrics needs its own port (the probes stay unauthenticated HTTP); give another port, or --metrics-secure=false');
  }
  if (metricsSecure === 'false' && metricsCertPath) throw new Error('--metrics-cert-path needs --metrics-secure=true (plain HTTP uses no certificate)');
  const logLevel = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`);
  const number = (flag: 'concurrency' | 'resync', min: number) => {
    const value = Number(values[flag]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${flag} must be a whole number of at least ${min}, not "${values[flag]}"`);
    return value;
  };
  return {
    kubeconfig: values.kubeconfig,
    namespace: env.POD_NAMESPACE ?? DEFAULT_NAMESPACE,
    settings: Object.fromEntries(controllerFlags.map(({ name }) => [name, String((values as Record<string, unknown>)[name])])),
    leaderElect: leaderElect === 'true',
    leaseNamespace: values['leader-election-namespace'],
    leaseName: values['leader-election-id'],
    identity: `${env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`,
    metricsAddress,
    metricsSecure: metricsSecure === 'true',
    ...(metricsCertPath ? { metricsCertPath } : {}),
    healthAddress,
    logLevel,
    concurrency: number('concurrency', 1),
    resyncMs: number('resync', 0) * 1000,
  };
}

/** The port of `address`; throws naming `flag` unless it is a host:port address. */
function portOf(flag: string, address: string): number {
  try {
    return parseAddress(address).port;
  } catch (error) {
    throw new Error(`${flag}: ${errorMessage(error)}`, { cause: error });
  }
}

/** What a controller factory gets to build its controllers with. */
export interface OperatorContext {
  client: KubeClient;
  namespace: string;
  /** The values of the flags the controllers declared (operatorConfig's controllerFlags). */
  settings: Settings;
  manager: Manager;
  /** For a controller's own metrics (Metrics.scrapedGauge). */
  metrics: Metrics;
  events: EventRecorder;
  /** Carries out what a controller's decide returns. */
  effects: Executor;
  /** The time of a pass: read once per reconcile, and replaced in tests. */
  clock: () => Date;
  logger: Logger;
}

export type ControllerFactory = (context: OperatorContext) => ControllerSpec[];

/** What the process is, for palisade_build_info{...} 1: version, commit, ... (the CLI's `palisade version`). */
export type BuildInfo = Readonly<Record<string, string>>;

/** Runs the operator until SIGTERM or SIGINT; resolves with the exit code. */
export async function runOperator(config: OperatorConfig, factory: ControllerFactory, buildInfo: BuildInfo = {}): Promise<number> {
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  metrics.buildInfo('palisade_build_info', buildInfo);
  const heap = new HeapWatcher(logger, metrics);
  heap.start();
  const client = new KubeClient(await loadCredentials(config.kubeconfig), { observe: metrics.observeRequest });
  const manager = new Manager({
    client, logger, metrics, resyncMs: config.resyncMs,
    leaderElection: config.leaderElect ? { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity } : undefined,
  });
  const clock = () => new Date();
  const events = new EventRecorder(client, 'palisade.dev/operator', config.identity, clock);
  const effects = new Executor({ client, caches: (resource, labels) => manager.cachesOf(resource, labels), events, clock });
  const context: OperatorContext = {
    client, namespace: config.namespace, settings: config.settings, manager, metrics, events, effects, logger, clock,
  };
  for (const spec of factory(context)) manager.add({ ...spec, concurrency: config.concurrency });

  const endpoints = await serveEndpoints(config, client, manager, metrics, logger);
  logger.info('started', {
    identity: config.identity, leaderElection: config.leaderElect, ports: endpoints.ports,
    metrics: config.metricsSecure ? `https, ${config.metricsCertPath ? `certificate from ${config.metricsCertPath}` : 'self-signed certificate'}` : 'http',
  });

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('stopping', { signal });
    stop.abort();
  };
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  try {
    await manager.run(stop.signal);
    logger.info('stopped');
    return 0;
  } catch (error) {
    logger.error('exiting', { error: errorMessage(error) });
    return 1;
  } finally {
    process.removeListener('SIGTERM', onSignal).removeListener('SIGINT', onSignal);
    heap.stop();
    endpoints.close();
    await client.close();
  }
}

/**
 * The HTTP endpoints. With --metrics-secure, the probes on their own plain-HTTP server and /metrics
 * alone on one with TLS (its certificate read again when it changes) and the auth filter; without,
 * plain HTTP, one server for all three paths when the two addresses are the same. `ports`: the
 * probes' first.
 */
async function serveEndpoints(config: OperatorConfig, client: KubeClient, manager: Manager, metrics: Metrics, logger: Logger):
  Promise<{ ports: number[]; close(): void }> {
  const ready = () => manager.ready;
  const servers: Served[] = [];
  let stopWatchingCertificate: () => void = () => undefined;
  const close = () => {
    stopWatchingCertificate();
    servers.forEach(({ server }) => server.close());
  };
  try {
    if (!config.metricsSecure && sameAddress(config.metricsAddress, config.healthAddress)) {
      servers.push(await serve(config.healthAddress, { ready, registry: metrics.registry }));
    } else if (!config.metricsSecure) {
      servers.push(await serve(config.healthAddress, { ready }), await serve(config.metricsAddress, { ready, registry: metrics.registry }));
    } else {
      servers.push(await serve(config.healthAddress, { ready }));
      const dir = config.metricsCertPath;
      const pair = dir ? await readKeyPair(dir) : selfSignedCertificate(metricsServiceNames(config.namespace));
      const authorizer = new MetricsAuthorizer(client, {
        onError: (error) => logger.warn('metrics authentication or authorization review failed', { error: errorMessage(error) }),
      });
      // serve() answers every request but GET /metrics itself, before authorize: the one question is get /metrics.
      const secure = await serve(config.metricsAddress, {
        registry: metrics.registry, tls: pair, authorize: (request) => authorizer.decide(request.headers.authorization),
      });
      servers.push(secure);
      if (dir) {
        stopWatchingCertificate = watchKeyPair(dir, pair, (next) => {
          secure.setCertificate(next);
          logger.info('metrics certificate reloaded', { path: dir });
        }, (error) => logger.warn('metrics certificate not reloaded', { path: dir, error: errorMessage(error) }));
      }
    }
  } catch (error) {
    close(); // what did bind: the process goes on to exit, or a test to the next case
    throw error;
  }
  return { ports: servers.map((served) => served.port), close };
}

/** Whether two host:port addresses name the same socket (`:8080` is `0.0.0.0:8080`). */
function sameAddress(a: string, b: string): boolean {
  const [first, second] = [parseAddress(a), parseAddress(b)];
  return first.host === second.host && first.port === second.port;
}
