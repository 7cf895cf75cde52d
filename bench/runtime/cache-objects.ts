// The objects the informer-memory benchmark caches, written before any cache starts (untimed
// setup): ConfigMaps as today's row had them, ringfences with what the operator writes for them
// (their objects and status, from decide() itself).
import { ringfences } from '../../src/api/resources.ts';
import { decide, type ObservedRingfence } from '../../src/controllers/namespaceringfence/decide.ts';
import { apply } from '../../src/runtime/apply.ts';
import type { KubeClient } from '../../src/runtime/client.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { createNamespaces, namespaceObjects, SETUP_FIELD_MANAGER, WRITES_IN_FLIGHT } from '../cluster.ts';
import { BENCH_SPEC as spec } from '../ringfence/spec.ts';

/** Today's row: `count` small ConfigMaps in namespace `bench`, created by kubectl. */
export async function writeConfigMaps(kubeconfig: string, count: number): Promise<void> {
  await kubectlOk(kubeconfig, ['create', 'namespace', 'bench']);
  for (let batch = 0; batch < count; batch += 500) {
    const items = Array.from({ length: Math.min(500, count - batch) }, (_, i) => ({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `cm-${batch + i}`, labels: { app: 'bench', shard: String((batch + i) % 10) } },
      data: { 'config.yaml': `replicas: 3\nimage: registry.example/app:${batch + i}\n` },
    }));
    await kubectlOk(kubeconfig, ['create', '-n', 'bench', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
}

/**
 * A ringfence in each of namespaces `fenced-0` … `fenced-(count-1)`, applied by a user, and what a
 * first reconcile of it writes, as Palisade (force): decide()'s objects, owned by the ringfence's
 * uid (an owner that does not exist would have them garbage-collected), and its status.
 */
export async function writeRingfences(client: KubeClient, count: number): Promise<void> {
  const names = namespaceObjects('fenced', count);
  // The peers exist: no "peer namespaces not found" in the status.
  await createNamespaces(client, [...names, ...['ingress-nginx', 'db'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))]);
  await inParallel(names, WRITES_IN_FLIGHT, async ({ metadata: { name: namespace } }) => {
    const fence = { apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'fence', namespace }, spec };
    const ringfence = await client.patch<ObservedRingfence>(ringfences, { name: 'fence', namespace }, fence,
      { type: 'apply', verb: 'apply', fieldManager: SETUP_FIELD_MANAGER, force: true });
    const effects = decide({
      ringfence, ringfences: [ringfence], namespaceExists: () => true, ownedNetworkPolicies: [], ownedRoleBindings: [], foreignBindings: [], now: new Date(),
    });
    await Promise.all((effects.apply ?? []).map(({ resource, object, force }) => apply(client, resource, object, { force })));
    await apply(client, ringfences, effects.status!.object, { subresource: 'status', force: true });
  });
}
