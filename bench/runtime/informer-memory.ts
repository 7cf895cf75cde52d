// Informer memory: heap per 1,000 cached ConfigMaps, against a real control plane. Run with
// `node --expose-gc`; make bench does.
import { configMaps } from '../../src/kubernetes/resources.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../harness/client.ts';
import { kubectlOk } from '../../harness/kubectl.ts';

const OBJECTS = 5_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const plane = await ControlPlane.start();
try {
  await kubectlOk(plane.kubeconfig, ['create', 'namespace', 'bench']);
  for (let batch = 0; batch < OBJECTS; batch += 500) {
    const items = Array.from({ length: 500 }, (_, i) => ({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `cm-${batch + i}`, labels: { app: 'bench', shard: String((batch + i) % 10) } },
      data: { 'config.yaml': `replicas: 3\nimage: registry.example/app:${batch + i}\n` },
    }));
    await kubectlOk(plane.kubeconfig, ['create', '-n', 'bench', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
  const client = await clientFor(plane.kubeconfig);
  const before = heapAfterGc();
  const informer = new Informer(client, { resource: configMaps, namespace: 'bench' });
  const started = performance.now();
  informer.start();
  while (!informer.hasSynced) await new Promise((resolve) => setTimeout(resolve, 20));
  const syncSeconds = (performance.now() - started) / 1000;
  const after = heapAfterGc();
  const cached = informer.list().length;
  console.log(JSON.stringify({
    benchmark: 'informer-memory', objects: cached, syncSeconds: +syncSeconds.toFixed(2),
    heapMiBPer1000: +(((after - before) / cached) * 1000 / 2 ** 20).toFixed(2),
  }));
  await informer.stop();
  await client.close();
} finally {
  await plane.stop();
}
