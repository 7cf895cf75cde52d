// 1,000 namespaces with a NamespaceRingfence each, against a real control plane: the time from
// apply to all Ready, API requests per ringfence, writes on a resync (must be 0) and the
// operator's peak RSS; and the floor to compare with: server-side applying the same rendered
// objects directly, with maximal concurrency, in the same run.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { render } from '../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../src/api/namespaceringfence.ts';
import { apply } from '../../src/runtime/apply.ts';
import type { KubeObject, Resource } from '../../src/runtime/client.ts';
import { ControlPlane } from '../../test/cluster/control-plane.ts';
import { clientFor } from '../../test/support/client.ts';
import { installCrds } from '../../test/support/crds.ts';
import { kubectlOk } from '../../test/support/kubectl.ts';
import { metric, startOperator, stopOperator } from '../../test/support/operator.ts';

const COUNT = Number(process.env.RINGFENCES ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const RESYNC_SECONDS = 60;
const WRITE_VERBS = ['apply', 'apply-status', 'create', 'update', 'patch', 'delete'];
const spec: NamespaceRingfenceSpec = {
  ingress: { from: [{ namespaces: ['ingress-nginx'], ports: [{ port: 8443 }] }] },
  egress: { to: [{ namespaces: ['db'], ports: [{ port: 5432 }] }, { ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] },
  access: { editors: [{ kind: 'Group', name: 'devs' }], viewers: [{ kind: 'Group', name: 'auditors' }] },
};
const resources: Record<string, Resource> = {
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
};

const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const namespaceObjects = (prefix: string) => Array.from({ length: COUNT }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${i}` } }));

async function inBatches<T>(items: T[], size: number, each: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await each(items.slice(i, i + size));
}

async function readyCount(kubeconfig: string): Promise<number> {
  const out = await kubectlOk(kubeconfig, ['get', 'namespaceringfences', '-A', '-o',
    'jsonpath={range .items[*]}{.metadata.generation}={.status.observedGeneration}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return out.split('\n').filter((line) => /^(\d+)=\1=True$/.test(line)).length;
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function writes(port: number): Promise<number> {
  let total = 0;
  for (const verb of WRITE_VERBS) total += await metric(port, 'palisade_api_requests_total', { verb });
  return total;
}

const plane = await ControlPlane.start();
try {
  const kubeconfig = plane.kubeconfig;
  await installCrds(kubeconfig);
  await inBatches(namespaceObjects('bench'), 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));
  await inBatches(namespaceObjects('floor'), 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));

  // The floor: the same objects, applied straight, as fast as the API server takes them.
  const client = await clientFor(kubeconfig);
  const objects = namespaceObjects('floor').flatMap((ns) => {
    const { networkPolicies, roleBindings } = render({ metadata: { name: 'fence', namespace: ns.metadata.name }, spec });
    return [...networkPolicies, ...roleBindings];
  });
  const floorStarted = performance.now();
  const queue = [...objects];
  await Promise.all(Array.from({ length: 64 }, async () => {
    for (let object = queue.pop(); object; object = queue.pop()) {
      await apply(client, resources[object.kind]!, object as unknown as KubeObject, { force: true });
    }
  }));
  const floorSeconds = (performance.now() - floorStarted) / 1000;
  await client.close();

  const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const operator = await startOperator(cli, kubeconfig, ['--leader-elect=false', `--concurrency=${CONCURRENCY}`, `--resync=${RESYNC_SECONDS}`], ['operator']);
  try {
    const fences = namespaceObjects('bench').map((ns) => ({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence', namespace: ns.metadata.name }, spec,
    }));
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const started = performance.now();
    await inBatches(fences, 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));
    while (await readyCount(kubeconfig) < COUNT) await sleep(500);
    const readySeconds = (performance.now() - started) / 1000;
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;

    const writesBefore = await writes(operator.port);
    const reconciles = () => metric(operator.port, 'controller_runtime_reconcile_total', { controller: 'namespaceringfence' });
    const reconcilesBefore = await reconciles();
    while (await reconciles() < reconcilesBefore + COUNT) await sleep(1000);
    const resyncWrites = (await writes(operator.port)) - writesBefore;

    console.log(JSON.stringify({
      benchmark: 'ringfence', ringfences: COUNT, concurrency: CONCURRENCY,
      secondsToAllReady: +readySeconds.toFixed(1), floorSeconds: +floorSeconds.toFixed(1), ratioToFloor: +(readySeconds / floorSeconds).toFixed(2),
      apiRequestsPerRingfence: +(requests / COUNT).toFixed(1), writesOnResync: resyncWrites,
      operatorPeakRssMiB: Math.round(await peakRssMiB(operator.child.pid!)),
    }));
  } finally {
    await stopOperator(operator);
  }
} finally {
  await plane.stop();
}
