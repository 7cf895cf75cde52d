// What a status write like the controller's costs kube-apiserver, by method: server-side apply
// (the controller's) against a JSON merge patch, on 1,000 ringfences each, as the apiserver's CPU.
import { ringfences } from '../../src/controllers/namespaceringfence/controller.ts';
import { apply } from '../../src/runtime/apply.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { ControlPlane } from '../../test/cluster/control-plane.ts';
import { clientFor } from '../../test/support/client.ts';
import { installCrds } from '../../test/support/crds.ts';
import { cpuSeconds, inParallel } from '../operator.ts';

const COUNT = Number(process.env.RINGFENCES ?? 1000);
const IN_FLIGHT = 64;

const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const status = {
  observedGeneration: 1,
  networkPolicies: ['palisade-default-deny', 'palisade-dns', 'palisade-egress', 'palisade-ingress', 'palisade-same-namespace'],
  roleBindings: ['palisade-editors', 'palisade-viewers'],
  conditions: ['NetworkPoliciesReady', 'AccessReady', 'AccessDrift', 'Ready'].map((type) => ({
    type, status: type === 'AccessDrift' ? 'False' : 'True', reason: 'Applied', message: `${type} message`, lastTransitionTime: now, observedGeneration: 1,
  })),
};

const plane = await ControlPlane.start();
try {
  await installCrds(plane.kubeconfig);
  const client = await clientFor(plane.kubeconfig);
  const names = (prefix: string) => Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);
  const fence = (name: string) => ({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name, namespace: 'default' }, spec: {} });
  await inParallel([...names('apply'), ...names('merge'), ...names('again')], IN_FLIGHT, (name) => apply(client, ringfences, fence(name)));
  const measure = async (prefix: string, write: (client: KubeClient, name: string) => Promise<unknown>) => {
    const before = await cpuSeconds(plane.pids['kube-apiserver-0']!);
    const started = performance.now();
    await inParallel(names(prefix), IN_FLIGHT, (name) => write(client, name));
    return { seconds: +((performance.now() - started) / 1000).toFixed(1), apiServerCpuSeconds: +(await cpuSeconds(plane.pids['kube-apiserver-0']!) - before).toFixed(1) };
  };
  const applyStatus = (c: KubeClient, name: string) => {
    const desired = { ...fence(name), status };
    return apply(c, ringfences, desired, { subresource: 'status', force: true });
  };
  // Apply, merge patch, apply again: the order shows what warming up is worth.
  const results = {
    apply: await measure('apply', applyStatus),
    mergePatch: await measure('merge', (c, name) => c.request('patch', ringfences, 'PATCH', c.path(ringfences, 'default', name, 'status'),
      { body: { status }, contentType: 'application/merge-patch+json' })),
    applyAgain: await measure('again', applyStatus),
  };
  console.log(JSON.stringify({ benchmark: 'ringfence-status-write', ringfences: COUNT, ...results }));
  await client.close();
} finally {
  await plane.stop();
}
