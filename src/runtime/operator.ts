// The operator process: configuration from flags and environment, the API client, the manager
// and its controllers, the HTTP endpoints, and signals. SIGTERM stops taking work, lets work in
// flight finish, releases the lease and exits 0; a lost lease exits 1 at once.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { KubeClient } from './client.ts';
import { loadCredentials } from './credentials.ts';
import type { ControllerSpec } from './controller.ts';
import { EventRecorder } from './events.ts';
import { Executor } from './executor.ts';
import { serve } from './health.ts';
import { HeapWatcher } from './heap.ts';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from './logging.ts';
import { Manager } from './manager.ts';
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
  --metrics-address HOST:PORT    /metrics (default 0.0.0.0:8080) [PALISADE_METRICS_ADDRESS]
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
      'metrics-address': { type: 'string', default: env.PALISADE_METRICS_ADDRESS ?? '0.0.0.0:8080' },
      'health-address': { type: 'string', default: env.PALISADE_HEALTH_ADDRESS ?? '0.0.0.0:8081' },
      'log-level': { type: 'string', default: env.PALISADE_LOG_LEVEL ?? 'info' },
      'concurrency': { type: 'string', default: env.PALISADE_CONCURRENCY ?? '2' },
      'resync': { type: 'string', default: env.PALISADE_RESYNC_SECONDS ?? '600' },
      ...declared,
    },
  });
  const leaderElect = values['leader-elect'];
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new Error(`--leader-elect must be true or false, not "${leaderElect}"`);
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
    metricsAddress: values['metrics-address'],
    healthAddress: values['health-address'],
    logLevel,
    concurrency: number('concurrency', 1),
    resyncMs: number('resync', 0) * 1000,
  };
}

/** What a controller factory gets to build its controllers with. */
export interface OperatorContext {
  client: KubeClient;
  namespace: string;
  /** The values of the flags the controllers declared (operatorConfig's controllerFlags). */
  settings: Settings;
  manager: Manager;
  events: EventRecorder;
  /** Carries out what a controller's decide returns. */
  effects: Executor;
  /** The time of a pass: read once per reconcile, and replaced in tests. */
  clock: () => Date;
  logger: Logger;
}

export type ControllerFactory = (context: OperatorContext) => ControllerSpec[];

/** Runs the operator until SIGTERM or SIGINT; resolves with the exit code. */
export async function runOperator(config: OperatorConfig, factory: ControllerFactory): Promise<number> {
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
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
    client, namespace: config.namespace, settings: config.settings, manager, events, effects, logger, clock,
  };
  for (const spec of factory(context)) manager.add({ ...spec, concurrency: config.concurrency });

  const servers = config.metricsAddress === config.healthAddress
    ? [await serve(config.healthAddress, { ready: () => manager.ready, registry: metrics.registry })]
    : [await serve(config.healthAddress, { ready: () => manager.ready }), await serve(config.metricsAddress, { ready: () => manager.ready, registry: metrics.registry })];
  logger.info('started', { identity: config.identity, leaderElection: config.leaderElect, ports: servers.map((s) => s.port) });

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
    logger.error('exiting', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  } finally {
    process.removeListener('SIGTERM', onSignal).removeListener('SIGINT', onSignal);
    heap.stop();
    servers.forEach(({ server }) => server.close());
    await client.close();
  }
}
