// 1,000 namespaces with a NamespaceRingfence each, against a real control plane: the time from
// apply to all Ready, API requests per ringfence, writes on a resync (must be 0) and the
// operator's peak RSS; and the floor to compare with: server-side applying the same rendered
// objects directly, with maximal concurrency, in the same run.
import { setTimeout as sleep } from 'node:timers/promises';
import { ringfences } from '../../src/controllers/namespaceringfence/controller.ts';
import { render } from '../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../src/api/namespaceringfence.ts';
import { apply, type ApplyConfiguration } from '../../src/runtime/apply.ts';
import type { KubeClient, KubeObject, Resource } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { ControlPlane } from '../../test/cluster/control-plane.ts';
import { clientFor } from '../../test/support/client.ts';
import { installCrds } from '../../test/support/crds.ts';
import { kubectlOk } from '../../test/support/kubectl.ts';
import { httpGet, metric, stopOperator } from '../../test/support/operator.ts';
import { cpuSeconds, inParallel, operatorNodeOptions, peakRssMiB, startShippedOperator, writesOnResync } from '../operator.ts';

const COUNT = Number(process.env.RINGFENCES ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const IN_FLIGHT = 64;
const RESYNC_SECONDS = 60;
const spec: NamespaceRingfenceSpec = {
  ingress: { from: [{ namespaces: ['ingress-nginx'], ports: [{ port: 8443 }] }] },
  egress: { to: [{ namespaces: ['db'], ports: [{ port: 5432 }] }, { ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] },
  access: { editors: [{ kind: 'Group', name: 'devs' }], viewers: [{ kind: 'Group', name: 'auditors' }] },
};
const resources: Record<string, Resource> = {
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true },
  NamespaceRingfence: ringfences,
};

const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const namespaceObjects = (prefix: string) => Array.from({ length: COUNT }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${i}` } }));

/** Server-side applies `objects` with IN_FLIGHT requests at a time: as fast as the API server takes them. */
function applyAll(client: KubeClient, objects: ApplyConfiguration[]) {
  return inParallel(objects, IN_FLIGHT, (object) => apply(client, resources[object.kind]!, object, { force: true }));
}

async function inBatches<T>(items: T[], size: number, each: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await each(items.slice(i, i + size));
}

type Fence = KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };

/** Ringfences Ready at their current generation, counted from a watch: polling lists would load the API server. */
function readyCounter(informer: Informer<Fence>): () => number {
  return () => informer.list().filter((fence) => fence.status?.observedGeneration === fence.metadata.generation
    && fence.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

const plane = await ControlPlane.start();
try {
  const kubeconfig = plane.kubeconfig;
  await installCrds(kubeconfig);
  await inBatches(namespaceObjects('bench'), 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));
  await inBatches(namespaceObjects('floor'), 250, (batch) => kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], list(batch)));

  // The floor: the same objects, applied straight, as fast as the API server takes them.
  const client = await clientFor(kubeconfig);
  const fenceInformer = new Informer<Fence>(client, { resource: ringfences });
  fenceInformer.start();
  const ready = readyCounter(fenceInformer);
  const objects = namespaceObjects('floor').flatMap((ns) => {
    const { networkPolicies, roleBindings } = render({ metadata: { name: 'fence', namespace: ns.metadata.name }, spec });
    return [...networkPolicies, ...roleBindings];
  });
  const apiServerCpu = () => cpuSeconds(plane.pids['kube-apiserver-0']!);
  const floorStarted = performance.now();
  const floorCpuBefore = await apiServerCpu();
  await applyAll(client, objects);
  const floorSeconds = (performance.now() - floorStarted) / 1000;
  const floorApiServerCpu = await apiServerCpu() - floorCpuBefore;

  const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--concurrency=${CONCURRENCY}`, `--resync=${RESYNC_SECONDS}`]);
  try {
    // A running operator, as in a cluster: its caches have synced before the first ringfence lands.
    while ((await httpGet(operator.port, '/readyz')).status !== 200) await sleep(100);
    const fences = namespaceObjects('bench').map((ns) => ({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence', namespace: ns.metadata.name }, spec,
    }));
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const started = performance.now();
    const cpuBefore = await apiServerCpu();
    // Applied like the floor's objects: kubectl applies one object after another, and would measure itself.
    await applyAll(client, fences);
    while (ready() < COUNT) await sleep(100);
    const readySeconds = (performance.now() - started) / 1000;
    const operatorCpuSeconds = await cpuSeconds(operator.child.pid!);
    const apiServerCpuSeconds = await apiServerCpu() - cpuBefore;
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;

    const resyncWrites = await writesOnResync(operator, 'namespaceringfence', COUNT);

    console.log(JSON.stringify({
      benchmark: 'ringfence', ringfences: COUNT, concurrency: CONCURRENCY, nodeOptions: (await operatorNodeOptions()).join(' '),
      secondsToAllReady: +readySeconds.toFixed(1), floorSeconds: +floorSeconds.toFixed(1), ratioToFloor: +(readySeconds / floorSeconds).toFixed(2),
      apiRequestsPerRingfence: +(requests / COUNT).toFixed(1), writesOnResync: resyncWrites,
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorCpuSecondsUntilReady: operatorCpuSeconds,
      apiServerCpuSeconds: { floor: +floorApiServerCpu.toFixed(1), untilReady: +apiServerCpuSeconds.toFixed(1) },
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    }));
  } finally {
    await stopOperator(operator);
    await fenceInformer.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
