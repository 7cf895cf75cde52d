// `make cluster-up` / `make cluster-down`: a local control plane for humans, kept running in the
// background in .palisade/cluster until it is brought down. Secrets are encrypted at rest (a key
// of its own, reloaded automatically), so that a KeyRotationSchedule can rotate it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlPlane } from '../harness/control-plane/control-plane.ts';
import { isAlive, stopPid } from '../harness/control-plane/process.ts';
import { writeInitialEncryptionConfig } from '../harness/encryption.ts';

const dir = new URL('../.palisade/cluster/', import.meta.url).pathname;
const stateFile = join(dir, 'state.json');

// The operator's identity: `make demo` runs it with exactly the permissions of config/rbac.
const OPERATOR_USER = 'system:serviceaccount:palisade-system:palisade-operator';

interface State {
  kubeconfig: string;
  operatorKubeconfig: string;
  binDir: string;
  pids: Record<string, number>;
  /** The apiserver, whose /metrics say which encryption config it loaded. */
  apiServerUrl: string;
  /** The file the apiserver reads with --encryption-provider-config. */
  encryptionConfig: string;
}

async function running(): Promise<State | undefined> {
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as State;
  return state.encryptionConfig && Object.values(state.pids).every(isAlive) ? state : undefined;
}

async function up(): Promise<State> {
  const existing = await running();
  if (existing) return existing;
  await down();
  await mkdir(dir, { recursive: true });
  const encryptionConfig = join(dir, 'encryption-config.yaml');
  await writeInitialEncryptionConfig(encryptionConfig);
  const plane = await ControlPlane.start({ dir, detached: true, encryptionConfigFile: encryptionConfig });
  const pids = Object.fromEntries(Object.entries(plane.pids).filter((entry): entry is [string, number] => entry[1] !== undefined));
  const operatorKubeconfig = await plane.userKubeconfig(OPERATOR_USER, ['system:serviceaccounts', 'system:serviceaccounts:palisade-system']);
  const state: State = { kubeconfig: plane.kubeconfig, operatorKubeconfig, binDir: plane.binDir, pids, apiServerUrl: plane.apiServers[0]!.url, encryptionConfig };
  await writeFile(stateFile, JSON.stringify(state, null, 2));
  return state;
}

async function down(): Promise<void> {
  if (existsSync(stateFile)) {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as State;
    // Newest first: the controller manager and apiservers before etcd.
    for (const pid of Object.values(state.pids).reverse()) await stopPid(pid);
  }
  await rm(dir, { recursive: true, force: true });
}

const command = process.argv[2];
if (command === 'up') {
  const state = await up();
  console.log(`Control plane running. Use it with:\n  export KUBECONFIG=${state.kubeconfig}\n  export PATH=${state.binDir}:$PATH`);
} else if (command === 'down') {
  await down();
  console.log('Control plane stopped.');
} else if (command === 'env') {
  const state = await running();
  if (!state) {
    console.error('No control plane is running: make cluster-up');
    process.exit(1);
  }
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  console.log([
    `KUBECONFIG=${quote(state.kubeconfig)}`, `OPERATOR_KUBECONFIG=${quote(state.operatorKubeconfig)}`, `PATH=${quote(`${state.binDir}:${process.env.PATH ?? ''}`)}`,
    `APISERVER_URL=${quote(state.apiServerUrl)}`, `ENCRYPTION_CONFIG=${quote(state.encryptionConfig)}`,
  ].join('\n'));
} else {
  console.error('usage: node hack/cluster.ts up|down|env');
  process.exit(2);
}
