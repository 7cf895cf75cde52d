// The NamespaceRingfence controller: observes what the caches hold, and lets the runtime carry out
// what decide() returns. Generated objects are applied with force: a hand edit of a field we set
// is drift, and is put back (with an Event).
import { ringfences } from '../../api/resources.ts';
import { namespaces, networkPolicies, roleBindings } from '../../kubernetes/resources.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { controller, type ControllerSpec, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { decide, type ForeignBinding, type Observed, type ObservedRingfence } from './decide.ts';
import { MANAGED_BY_LABEL, RINGFENCE_LABEL } from './render.ts';

export function namespaceRingfenceController({ manager, effects, clock }: OperatorContext): ControllerSpec {
  const fences = manager.informer<ObservedRingfence>(ringfences);
  const policies = manager.informer(networkPolicies);
  const bindings = manager.informer<KubeObject & ForeignBinding>(roleBindings);
  const namespaceCache = manager.informer(namespaces);

  const generatedBy = (object: KubeObject, ringfence: string) =>
    object.metadata.labels?.[MANAGED_BY_LABEL] === 'palisade' && object.metadata.labels[RINGFENCE_LABEL] === ringfence;
  const fencesIn = (namespace: string): Request[] => fences.listNamespace(namespace).map((f) => ({ namespace, name: f.metadata.name }));

  function observe(ringfence: ObservedRingfence): Observed {
    const { name, namespace } = ringfence.metadata;
    const namespaceBindings = bindings.listNamespace(namespace);
    return {
      ringfence,
      ringfences: fences.listNamespace(namespace),
      namespaceExists: (ns) => namespaceCache.get(ns) !== undefined,
      ownedNetworkPolicies: policies.listNamespace(namespace).filter((p) => generatedBy(p, name)),
      ownedRoleBindings: namespaceBindings.filter((b) => generatedBy(b, name)),
      foreignBindings: namespaceBindings.filter((b) => b.metadata.labels?.[MANAGED_BY_LABEL] !== 'palisade'),
      now: clock(),
    };
  }

  async function reconcile({ namespace = '', name }: Request) {
    const ringfence = fences.get(name, namespace);
    if (!ringfence || ringfence.metadata.deletionTimestamp) return;
    // A namespace being deleted takes its objects along: putting them back would fight the deletion.
    if (namespaceCache.get(namespace)?.metadata.deletionTimestamp) return;
    const observed = observe(ringfence);
    return effects.run((failures) => decide(observed, failures));
  }

  return controller('namespaceringfence')
    .for(ringfences)
    .owns(networkPolicies)
    // A ringfence going away (being deleted, or gone) may leave the namespace to one that lost a
    // Conflict: it takes over now.
    .watches(ringfences, (fence, event) => (event.type === 'delete' || (event.type === 'update' && !event.old.metadata.deletionTimestamp && fence.metadata.deletionTimestamp)
      ? fencesIn(fence.metadata.namespace ?? '') : []))
    // Every RoleBinding of a fenced namespace: ours to keep in place, the others for AccessDrift.
    .watches(roleBindings, (binding) => fencesIn(binding.metadata.namespace ?? ''))
    // A peer namespace appearing or going changes what status reports as missing.
    .watches(namespaces, (ns) => fences.list()
      .filter((f) => [...(f.spec.ingress?.from ?? []), ...(f.spec.egress?.to ?? [])].some((peer) => peer.namespaces?.includes(ns.metadata.name)))
      .map((f) => ({ namespace: f.metadata.namespace, name: f.metadata.name })))
    .reconcile(reconcile);
}
