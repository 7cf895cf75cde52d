// What a ringfence's own writes cost kube-apiserver, as its CPU seconds per 1,000: the create (by
// server-side apply) and the status write (by server-side apply, the controller's, and by JSON
// merge patch), with the shipped CRD, the same CRD without its CEL rules, and a CRD with no schema;
// against a server-side apply of a ConfigMap carrying the same spec, a built-in object's cost.
import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { apply } from '../../src/runtime/apply.ts';
import { configMaps } from '../../src/kubernetes/resources.ts';
import type { Resource } from '../../src/runtime/client.ts';
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { WRITES_IN_FLIGHT } from '../cluster.ts';
import { cpuSeconds } from '../operator.ts';
import { BENCH_SPEC as spec } from './spec.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('RINGFENCES', 1000);

// The status of the ringfence benchmark (run.ts), for its ringfence (spec.ts).
const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const status = {
  observedGeneration: 1,
  networkPolicies: ['palisade-default-deny', 'palisade-dns', 'palisade-egress', 'palisade-ingress', 'palisade-same-namespace'],
  roleBindings: ['palisade-editors', 'palisade-viewers'],
  conditions: ['NetworkPoliciesReady', 'AccessReady', 'AccessDrift', 'Ready'].map((type) => ({
    type, status: type === 'AccessDrift' ? 'False' : 'True', reason: 'Applied', message: `${type} message`, lastTransitionTime: now, observedGeneration: 1,
  })),
};

type Schema = { [key: string]: unknown };
interface Crd { metadata: { name: string }; spec: { group: string; versions: { schema: { openAPIV3Schema: Schema } }[] } }

const withoutCel = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(withoutCel);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== 'x-kubernetes-validations').map(([key, value]) => [key, withoutCel(value)]));
};
const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const schemaless = (): Schema => ({ type: 'object', properties: { spec: open, status: open } });

/** The shipped CRD under another group, its schema changed by `schemaOf`. */
function variant(shipped: Crd, group: string, schemaOf: (schema: Schema) => Schema): Crd {
  const crd = structuredClone(shipped);
  crd.metadata = { name: `namespaceringfences.${group}` };
  crd.spec.group = group;
  for (const version of crd.spec.versions) version.schema.openAPIV3Schema = schemaOf(version.schema.openAPIV3Schema);
  return crd;
}

const plane = await ControlPlane.start();
try {
  await installCrds(plane.kubeconfig);
  const shipped = load(await readFile(new URL('../../crds/namespaceringfences.palisade.dev.yaml', import.meta.url), 'utf8')) as Crd;
  const variants = [variant(shipped, 'no-cel.bench.palisade.dev', (schema) => withoutCel(schema) as Schema), variant(shipped, 'schemaless.bench.palisade.dev', schemaless)];
  await kubectlOk(plane.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: variants }));
  await kubectlOk(plane.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', ...variants.map((crd) => `crd/${crd.metadata.name}`)]);
  const client = await clientFor(plane.kubeconfig);
  const names = (prefix: string) => Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);
  const apiServerCpu = () => cpuSeconds(plane.pids['kube-apiserver-0']!);
  const perThousand = async (prefix: string, write: (name: string) => Promise<unknown>) => {
    const before = await apiServerCpu();
    await inParallel(names(prefix), WRITES_IN_FLIGHT, write);
    return +((await apiServerCpu() - before) * 1000 / COUNT).toFixed(2);
  };

  const writesOf = async (group: string, prefix: string) => {
    const resource: Resource = { group, version: 'v1alpha1', kind: 'NamespaceRingfence', resource: 'namespaceringfences', namespaced: true };
    const fence = (name: string) => ({ apiVersion: `${group}/v1alpha1`, kind: 'NamespaceRingfence', metadata: { name, namespace: 'default' }, spec });
    // The status alone, as the controller sends it.
    const withStatus = (name: string) => ({ apiVersion: `${group}/v1alpha1`, kind: 'NamespaceRingfence', metadata: { name, namespace: 'default' }, status });
    return {
      create: await perThousand(`${prefix}-a`, (name) => apply(client, resource, fence(name))),
      statusApply: await perThousand(`${prefix}-a`, (name) => apply(client, resource, withStatus(name), { subresource: 'status', force: true })),
      // A second set of ringfences, so that the merge patch too writes a status that is not there yet.
      createAgain: await perThousand(`${prefix}-m`, (name) => apply(client, resource, fence(name))),
      statusMergePatch: await perThousand(`${prefix}-m`, (name) => client.patch(resource, { name, namespace: 'default', subresource: 'status' }, { status }, { type: 'merge' })),
    };
  };
  const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { spec: JSON.stringify(spec) } });

  await writesOf('palisade.dev', 'warm-up');
  const results = {
    shipped: await writesOf('palisade.dev', 'shipped'),
    withoutCel: await writesOf(variants[0]!.spec.group, 'no-cel'),
    schemaless: await writesOf(variants[1]!.spec.group, 'schemaless'),
    configMapApply: await perThousand('config', (name) => apply(client, configMaps, configMap(name))),
  };
  console.log(JSON.stringify({ benchmark: 'ringfence-custom-resource-writes', ringfences: COUNT, writesInFlight: WRITES_IN_FLIGHT, apiServerCpuSecondsPerThousand: results }));
  await client.close();
} finally {
  await plane.stop();
}
