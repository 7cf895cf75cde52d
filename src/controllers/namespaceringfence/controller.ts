// The NamespaceRingfence controller: reads what the caches hold, asks plan() what to do, applies
// and deletes that, and writes the status. Generated objects are applied with force: a hand edit
// of a field we set is drift, and is put back (with an Event).
// crd.ts, not index.ts: the operator need not load the schema builder.
import { API_VERSION, GROUP, VERSION } from '../../api/crd.ts';
import { apply, needsApply } from '../../runtime/apply.ts';
import { ApiError, type KubeObject, type Resource } from '../../runtime/client.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { Informer } from '../../runtime/informer.ts';
import { controller, type ControllerSpec, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { plan, type ForeignBinding, type ObservedRingfence } from './plan.ts';
import type { NetworkPolicy, RoleBinding } from './objects.ts';
import { MANAGED_BY_LABEL, RINGFENCE_LABEL } from './render.ts';

export const ringfences: Resource = { group: GROUP, version: VERSION, kind: 'NamespaceRingfence', resource: 'namespaceringfences', namespaced: true };
const networkPolicies: Resource = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true };
const roleBindings: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', resource: 'rolebindings', namespaced: true };
const namespaces: Resource = { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false };

const resourceOf = { NetworkPolicy: networkPolicies, RoleBinding: roleBindings } as const;

export function namespaceRingfenceController({ client, manager, events }: OperatorContext): ControllerSpec {
  const fences = manager.informer<ObservedRingfence & KubeObject>(ringfences);
  const policies = manager.informer(networkPolicies);
  const bindings = manager.informer<KubeObject & ForeignBinding>(roleBindings);
  const namespaceCache = manager.informer(namespaces);

  const generatedBy = (object: KubeObject, ringfence: string) =>
    object.metadata.labels?.[MANAGED_BY_LABEL] === 'palisade' && object.metadata.labels[RINGFENCE_LABEL] === ringfence;
  const fencesIn = (namespace: string): Request[] => fences.listNamespace(namespace).map((f) => ({ namespace, name: f.metadata.name }));

  /**
   * Applies a generated object unless `cache` shows it as desired, and says what the cache held
   * before (undefined when nothing was applied). The answer is cached at once, so that a reconcile
   * before its watch event does not apply it again.
   */
  async function applyGenerated<T extends KubeObject>(cache: Informer<T>, object: NetworkPolicy | RoleBinding): Promise<{ before: T | undefined } | undefined> {
    const live = cache.get(object.metadata.name, object.metadata.namespace);
    if (!needsApply(object, live)) return undefined;
    cache.assume(await apply<T>(client, resourceOf[object.kind], object, { force: true }));
    return { before: live };
  }

  async function reconcile({ namespace = '', name }: Request): Promise<void> {
    const ringfence = fences.get(name, namespace);
    if (!ringfence || ringfence.metadata.deletionTimestamp) return;
    // A namespace being deleted takes its objects along: putting them back would fight the deletion.
    if (namespaceCache.get(namespace)?.metadata.deletionTimestamp) return;
    const ownBindings = bindings.listNamespace(namespace);
    const decided = plan(ringfence, {
      ringfences: fences.listNamespace(namespace),
      namespaceExists: (ns) => namespaceCache.get(ns) !== undefined,
      ownedNetworkPolicies: policies.listNamespace(namespace).filter((p) => generatedBy(p, name)),
      ownedRoleBindings: ownBindings.filter((b) => generatedBy(b, name)),
      foreignBindings: ownBindings.filter((b) => b.metadata.labels?.[MANAGED_BY_LABEL] !== 'palisade'),
    });

    const specUnchanged = ringfence.status?.observedGeneration === ringfence.metadata.generation;
    // The objects are independent of each other: apply and delete them side by side.
    await Promise.all(decided.apply.map(async (object) => {
      const applied = object.kind === 'NetworkPolicy' ? await applyGenerated(policies, object) : await applyGenerated(bindings, object);
      if (!applied) return;
      if (specUnchanged && (applied.before || ringfence.status?.[object.kind === 'NetworkPolicy' ? 'networkPolicies' : 'roleBindings']?.includes(object.metadata.name))) {
        await events.record(ringfence, 'Warning', 'DriftReverted', 'Apply',
          `${object.kind} ${object.metadata.name} was ${applied.before ? 'changed' : 'deleted'} outside Palisade; put back`);
      }
    }));
    await Promise.all(decided.delete.map(async ({ kind, name: objectName }) => {
      const resource = resourceOf[kind];
      await client.request('delete', resource, 'DELETE', client.path(resource, namespace, objectName)).catch((error: unknown) => {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      });
    }));
    if (decided.warning && (!specUnchanged || findCondition(ringfence.status?.conditions, 'Ready')?.reason !== decided.warning.reason)) {
      await events.record(ringfence, 'Warning', decided.warning.reason, 'Reconcile', decided.warning.note);
    }
    const status = { apiVersion: API_VERSION, kind: 'NamespaceRingfence', metadata: { name, namespace }, status: decided.status };
    if (needsApply(status, ringfence, { subresource: 'status' })) {
      fences.assume(await apply(client, ringfences, status, { subresource: 'status', force: true }));
    }
  }

  return controller('namespaceringfence')
    .for(ringfences)
    .owns(networkPolicies)
    // Every RoleBinding of a fenced namespace: ours to keep in place, the others for AccessDrift.
    .watches(roleBindings, (binding) => fencesIn(binding.metadata.namespace ?? ''))
    // A peer namespace appearing or going changes what status reports as missing.
    .watches(namespaces, (ns) => fences.list()
      .filter((f) => [...(f.spec.ingress?.from ?? []), ...(f.spec.egress?.to ?? [])].some((peer) => peer.namespaces?.includes(ns.metadata.name)))
      .map((f) => ({ namespace: f.metadata.namespace, name: f.metadata.name })))
    .reconcile(reconcile);
}
