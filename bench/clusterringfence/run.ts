// One ClusterRingfence over 1,000 tenant namespaces (NAMESPACES, TENANT_SIZE to a tenant), against
// a real control plane with the ClusterNetworkPolicy CRDs of network-policy-api v0.3.0: the time
// from apply to Ready over all of them, the ClusterNetworkPolicies and write requests that took
// (they follow tenants, not namespaces), writes on a resync (must be 0) and the operator's peak RSS.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRingfenceSpec } from '../../src/api/clusterringfence.ts';
import { clusterRingfences } from '../../src/api/resources.ts';
import type { KubeObject } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { clusterNetworkPolicies, installClusterNetworkPolicyCrds } from '../../harness/network-policy-api.ts';
import { metric, stopOperator, writeRequests } from '../../harness/operator.ts';
import { applyAs, controlPlaneMode, createNamespaces, namespaceObjects, settled, SETUP_FIELD_MANAGER, startBenchControlPlane } from '../cluster.ts';
import { peakRssMiB, startShippedOperator, timed, untilReady, whileRunning, writesOnResync } from '../operator.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('NAMESPACES', 1000);
const TENANT_SIZE = countSetting('TENANT_SIZE', 10);
const RESYNC_SECONDS = 60;
const CONTROLLER = 'clusterringfence';

const spec: ClusterRingfenceSpec = {
  namespaceSelector: { matchLabels: { tenant: 'true' } }, tenantLabel: 'tenant-name',
  guardrails: { isolateTenants: true, allow: { from: [{ namespaces: ['monitoring'], podSelector: { matchLabels: { app: 'prometheus' } }, ports: [{ port: 9090 }] }] } },
  defaults: { denyAll: true },
};

type Status = { observedGeneration?: number; namespaceCount?: number; policyCount?: number; conditions?: { type: string; status: string }[] };
type Ringfence = KubeObject & { status?: Status };

/** Ready at its generation, over every namespace: counted from a watch, as polling would load the API server. */
const readyOverAll = (informer: Informer<Ringfence>) => () => informer.list().some(({ metadata, status }) =>
  status !== undefined && status.observedGeneration === metadata.generation && status.namespaceCount === COUNT && status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

const plane = await startBenchControlPlane();
try {
  const kubeconfig = plane.kubeconfig;
  await installCrds(kubeconfig);
  await installClusterNetworkPolicyCrds(kubeconfig);
  const client = await clientFor(kubeconfig);
  const informer = new Informer<Ringfence>(client, { resource: clusterRingfences });
  try {
    const namespaces = namespaceObjects('tenant', COUNT).map((ns, i) => ({
      ...ns, metadata: { ...ns.metadata, labels: { tenant: 'true', 'tenant-name': `t${Math.floor(i / TENANT_SIZE)}` } },
    }));
    const setup = await timed({}, () => createNamespaces(client, namespaces));
    informer.start();
    await settled(client);
    const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--resync=${RESYNC_SECONDS}`]);
    try {
      await untilReady(operator);
      const writesBefore = await writeRequests(operator.port);
      const untilReadyOverAll = await timed({ ...plane.pids, bench: process.pid, operator: operator.child.pid }, async () => {
        const ringfence = { apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', metadata: { name: 'tenants' }, spec };
        await applyAs(client, SETUP_FIELD_MANAGER, clusterRingfences, [ringfence]);
        await whileRunning(operator, readyOverAll(informer));
      });
      await sleep(2000);
      const writes = (await writeRequests(operator.port)) - writesBefore;
      const policies = (await client.list(clusterNetworkPolicies, { labelSelector: 'palisade.dev/clusterringfence=tenants' })).items?.length ?? 0;
      console.log(JSON.stringify({
        benchmark: 'clusterringfence', namespaces: COUNT, tenants: Math.ceil(COUNT / TENANT_SIZE), controlPlane: controlPlaneMode,
        secondsToReady: untilReadyOverAll.seconds, cpuSeconds: untilReadyOverAll.cpuSeconds,
        clusterNetworkPolicies: policies, writeRequests: writes,
        reconciles: await metric(operator.port, 'controller_runtime_reconcile_total', { controller: CONTROLLER }),
        writesOnResync: await writesOnResync(operator, CONTROLLER, 1),
        reconcileErrors: await metric(operator.port, 'controller_runtime_reconcile_errors_total'),
        operatorPeakRssMiB: await peakRssMiB(operator.child.pid!),
        setupSeconds: setup.seconds, runSeconds: Math.round(performance.now() / 1000),
      }));
    } finally {
      await stopOperator(operator);
    }
  } finally {
    await informer.stop();
    await client.close();
  }
} finally {
  await plane.stop();
}
