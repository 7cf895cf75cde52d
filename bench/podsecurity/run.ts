// 500 namespaces selected by one PodSecurityBaseline, against a real control plane: the time from
// apply to all labelled (enforce included: no pod violates), the API requests it took, writes on
// a resync (must be 0), and the operator's peak RSS.
import { setTimeout as sleep } from 'node:timers/promises';
import { namespaces } from '../../src/kubernetes/resources.ts';
import type { KubeObject } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { metric, stopOperator } from '../../harness/operator.ts';
import { peakRssMiB, startShippedOperator, writesOnResync } from '../operator.ts';

const COUNT = Number(process.env.NAMESPACES ?? 500);
const RESYNC_SECONDS = 60;
const ENFORCE = 'pod-security.kubernetes.io/enforce';

const plane = await ControlPlane.start();
try {
  const { kubeconfig } = plane;
  await installCrds(kubeconfig);
  const items = Array.from({ length: COUNT }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `tenant-${i}`, labels: { tenant: 'true' } } }));
  for (let i = 0; i < items.length; i += 250) {
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 250) }));
  }
  const client = await clientFor(kubeconfig);
  const watched = new Informer<KubeObject>(client, { resource: namespaces, labelSelector: 'tenant=true' });
  watched.start();
  const labelled = () => watched.list().filter((ns) => ns.metadata.labels?.[ENFORCE] === 'restricted').length;

  const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--resync=${RESYNC_SECONDS}`]);
  try {
    while (!watched.hasSynced) await sleep(50);
    const requestsBefore = await metric(operator.port, 'palisade_api_requests_total');
    const started = performance.now();
    await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
      apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', metadata: { name: 'tenants' },
      spec: { namespaceSelector: { matchLabels: { tenant: 'true' } }, enforce: { level: 'restricted', version: 'latest' } },
    }));
    while (labelled() < COUNT) await sleep(100);
    const secondsToAllLabelled = (performance.now() - started) / 1000;
    await sleep(2000);
    const requests = (await metric(operator.port, 'palisade_api_requests_total')) - requestsBefore;

    const resyncWrites = await writesOnResync(operator, 'podsecuritybaseline-namespaces', COUNT);
    console.log(JSON.stringify({
      benchmark: 'podsecurity', namespaces: COUNT, secondsToAllLabelled: +secondsToAllLabelled.toFixed(1),
      apiRequests: requests, apiRequestsPerNamespace: +(requests / COUNT).toFixed(2),
      writesOnResync: resyncWrites,
      reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
      operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
    }));
  } finally {
    await stopOperator(operator);
    await watched.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
