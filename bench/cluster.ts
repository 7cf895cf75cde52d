// The control plane the API benchmarks run on, and their untimed setup: objects by the thousand,
// written as someone other than Palisade.
import { setTimeout as sleep } from 'node:timers/promises';
import { configMaps, namespaces } from '../src/kubernetes/resources.ts';
import type { ApplyConfiguration } from '../src/runtime/apply.ts';
import type { KubeClient, Resource } from '../src/runtime/client.ts';
import { inParallel } from '../src/runtime/parallel.ts';
import { ControlPlane } from '../harness/control-plane/control-plane.ts';
import { countSetting } from './settings.ts';

/** Enough requests in flight to keep the API server busy: setup and the timed phases go as fast as it takes them. */
export const WRITES_IN_FLIGHT = countSetting('WRITES_IN_FLIGHT', 64);

/** Who writes the benchmarks' setup: not Palisade, whose applies would then own (and drop) its fields. */
export const SETUP_FIELD_MANAGER = 'bench-setup';

// kube-controller-manager writes a ServiceAccount and a CA ConfigMap into every new namespace, 20
// a second per controller: 1,000 namespaces keep it busy for almost a minute, 30,000 for 25, and
// whichever phase they overlap is slowed. By default the benchmarks run without those two
// controllers (nothing measured needs what they write); CONTROL_PLANE=full runs every controller
// and waits for their writes before any clock starts.
const FULL = process.env.CONTROL_PLANE === 'full';
const WITHOUT_NAMESPACE_WRITERS = ['*', '-serviceaccount-controller', '-root-ca-certificate-publisher-controller'];

/** What the JSON output says of the control plane. */
export const controlPlaneMode = FULL
  ? 'every controller (their ServiceAccount and CA ConfigMap per namespace waited for)'
  : 'without the ServiceAccount and root CA controllers';

export function startBenchControlPlane(): Promise<ControlPlane> {
  return ControlPlane.start(FULL ? {} : { controllers: WITHOUT_NAMESPACE_WRITERS });
}

const serviceAccounts: Resource = { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true };

/**
 * With every controller running, waits for kube-controller-manager's own writes for each
 * namespace (its ServiceAccount "default" and ConfigMap "kube-root-ca.crt"); without those
 * controllers there are none to wait for.
 */
export async function settled(client: KubeClient): Promise<void> {
  if (!FULL) return;
  const namespaceCount = (await client.list(namespaces)).items?.length ?? 0;
  const made = [{ resource: serviceAccounts, name: 'default' }, { resource: configMaps, name: 'kube-root-ca.crt' }];
  const count = async ({ resource, name }: (typeof made)[number]) =>
    (await client.list(resource, { fieldSelector: `metadata.name=${name}` })).items?.length ?? 0;
  while ((await Promise.all(made.map(count))).some((n) => n < namespaceCount)) await sleep(2000);
}

/**
 * Server-side applies `objects` of `resource` as `fieldManager`, WRITES_IN_FLIGHT at a time. The
 * client, not kubectl: kubectl sends a List's objects one after another, minutes for 30,000.
 */
export function applyAs(client: KubeClient, fieldManager: string, resource: Resource, objects: ApplyConfiguration[]): Promise<void> {
  return inParallel(objects, WRITES_IN_FLIGHT, (object) => client.patch(resource, { name: object.metadata.name, namespace: object.metadata.namespace },
    object, { type: 'apply', verb: 'apply', fieldManager, force: true }));
}

/** Namespaces `prefix-0` … `prefix-(count-1)`, each with `labels`. */
export const namespaceObjects = (prefix: string, count: number, labels: Record<string, string> = {}) =>
  Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${i}`, labels } }));

/** Creates namespaces (untimed setup), as a user would. */
export const createNamespaces = (client: KubeClient, objects: ApplyConfiguration[]) => applyAs(client, SETUP_FIELD_MANAGER, namespaces, objects);
