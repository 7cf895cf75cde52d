// Informer memory: heap bytes per cached object, against a real control plane, for each cache the
// ringfence controller keeps, built by the Manager itself (its views and shapeForCache), next to
// the same objects cached whole (no transform). Run with `node --expose-gc`; make bench does.
import { ringfences } from '../../src/api/resources.ts';
import { GENERATED, OTHER_BINDINGS } from '../../src/controllers/namespaceringfence/caches.ts';
import { configMaps, NAMESPACE_METADATA, namespaces, networkPolicies, roleBindings } from '../../src/kubernetes/resources.ts';
import type { Resource } from '../../src/runtime/client.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { Manager, type CacheView } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { startBenchControlPlane } from '../cluster.ts';
import { writeForeignObjects } from '../ringfence/foreign.ts';
import { writeConfigMaps, writeRingfences } from './cache-objects.ts';
import { countSetting } from '../settings.ts';

const CONFIG_MAPS = 5_000;
const RINGFENCES = countSetting('RINGFENCES', 1000);
/** Half NetworkPolicies (no cache of the operator's holds them), half RoleBindings, of a Helm release. */
const FOREIGN = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const plane = await startBenchControlPlane();
try {
  await installCrds(plane.kubeconfig);
  const client = await clientFor(plane.kubeconfig);
  await writeConfigMaps(plane.kubeconfig, CONFIG_MAPS);
  await writeRingfences(client, RINGFENCES);
  await writeForeignObjects(client, FOREIGN);

  // A Manager with no controllers, running: each informer it is asked for starts at once, so
  // that each cache fills (and is measured) on its own, built by the operator's own code path.
  const manager = new Manager({ client, logger: createLogger('error'), metrics: new Metrics() });
  const stop = new AbortController();
  const running = manager.run(stop.signal);
  /** Every cache until the end: one no longer referenced would be collected, and weigh nothing. */
  const caches: Informer[] = [];
  /** Whole objects, as an Informer with no transform caches them: what the views save is measured against these. */
  const raw = (resource: Resource, options: { namespace?: string; labelSelector?: string } = {}) => new Informer(client, { resource, ...options });
  const cached = (resource: Resource, view?: CacheView) => manager.informer(resource, view);

  const rows: Record<string, string | number>[] = [];
  const measure = async (cache: string, view: string, make: () => Informer) => {
    const before = heapAfterGc();
    const started = performance.now();
    const informer = make();
    caches.push(informer);
    informer.start(); // The Manager's are started already; a second start does nothing.
    while (!informer.hasSynced) await new Promise((resolve) => setTimeout(resolve, 20));
    const syncSeconds = (performance.now() - started) / 1000;
    const bytes = heapAfterGc() - before;
    const objects = informer.list().length;
    rows.push({ cache, view, objects, bytesPerObject: Math.round(bytes / objects), heapMiB: +(bytes / 2 ** 20).toFixed(2), syncSeconds: +syncSeconds.toFixed(2) });
  };
  await measure('configmaps', 'raw', () => raw(configMaps, { namespace: 'bench' }));
  // In the order the ringfence controller asks for them: a value shared by content is counted
  // in the first cache that holds it (a ringfence's ownerReferences in its NetworkPolicies').
  await measure('namespaceringfences', 'raw', () => raw(ringfences));
  await measure('namespaceringfences', 'full + shapeForCache', () => cached(ringfences));
  await measure('networkpolicies', 'generated, raw', () => raw(networkPolicies, GENERATED));
  await measure('networkpolicies', 'generated + shapeForCache', () => cached(networkPolicies, GENERATED));
  await measure('rolebindings', 'generated, raw', () => raw(roleBindings, GENERATED));
  await measure('rolebindings', 'generated + shapeForCache', () => cached(roleBindings, GENERATED));
  await measure('rolebindings', 'others, raw', () => raw(roleBindings, { labelSelector: OTHER_BINDINGS.labelSelector! }));
  await measure('rolebindings', 'others, as grants (OTHER_BINDINGS)', () => cached(roleBindings, OTHER_BINDINGS));
  await measure('namespaces', 'raw', () => raw(namespaces));
  await measure('namespaces', 'metadata + shapeForCache', () => cached(namespaces, NAMESPACE_METADATA));

  console.log(JSON.stringify({ benchmark: 'informer-memory', ringfences: RINGFENCES, caches: rows }));
  stop.abort();
  await running;
  await Promise.all(caches.map((informer) => informer.stop()));
  await client.close();
} finally {
  await plane.stop();
}
