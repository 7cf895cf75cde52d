// The NamespaceRingfence controller: observes what the caches hold, and lets the runtime carry out
// what decide() returns. Generated objects are applied with force: a hand edit of a field we set
// is drift, and is put back (with an Event).
import { ringfences } from '../../api/resources.ts';
import { NAMESPACE_METADATA, namespaces, networkPolicies, roleBindings } from '../../kubernetes/resources.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { controller, type ControllerSpec, type Request } from '../../runtime/controller.ts';
import { bindingOf, GENERATED, OTHER_BINDINGS, type Grant } from './caches.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { decide, type ForeignBinding, type Observed, type ObservedRingfence } from './decide.ts';
import { MANAGED_BY_LABEL } from '../../kubernetes/objects.ts';
import { RINGFENCE_LABEL } from './render.ts';

const PEER_NAMESPACE = 'peer-namespace';

const peerNamespaces = (fence: ObservedRingfence) =>
  [...(fence.spec.ingress?.from ?? []), ...(fence.spec.egress?.to ?? [])].flatMap((peer) => peer.namespaces ?? []);

export function namespaceRingfenceController({ manager, effects, clock }: OperatorContext): ControllerSpec {
  const fences = manager.informer<ObservedRingfence>(ringfences);
  const policies = manager.informer(networkPolicies, GENERATED);
  const ownBindings = manager.informer<KubeObject & ForeignBinding>(roleBindings, GENERATED);
  const otherBindings = manager.informer<Grant>(roleBindings, OTHER_BINDINGS);
  const namespaceCache = manager.informer(namespaces, NAMESPACE_METADATA);
  // A namespace event asks which ringfences name it as a peer: an index, not a scan of them all.
  fences.addIndex(PEER_NAMESPACE, peerNamespaces);

  const generatedBy = (object: KubeObject, ringfence: string) =>
    object.metadata.labels?.[MANAGED_BY_LABEL] === 'palisade' && object.metadata.labels[RINGFENCE_LABEL] === ringfence;
  const fencesIn = (namespace: string): Request[] => fences.listNamespace(namespace).map((f) => ({ namespace, name: f.metadata.name }));

  function observe(ringfence: ObservedRingfence): Observed {
    const { name, namespace } = ringfence.metadata;
    return {
      ringfence,
      ringfences: fences.listNamespace(namespace),
      namespaceExists: (ns) => namespaceCache.get(ns) !== undefined,
      ownedNetworkPolicies: policies.listNamespace(namespace).filter((p) => generatedBy(p, name)),
      ownedRoleBindings: ownBindings.listNamespace(namespace).filter((b) => generatedBy(b, name)),
      // Whatever this ringfence did not generate, Palisade's label or not (anyone can set a label).
      foreignBindings: [...otherBindings.listNamespace(namespace).map(bindingOf), ...ownBindings.listNamespace(namespace).filter((b) => !generatedBy(b, name))],
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
    .for(ringfences).reportsReady()
    .owns(networkPolicies, GENERATED)
    // A ringfence going away (being deleted, or gone) may leave the namespace to one that lost a
    // Conflict: it takes over now.
    .watches(ringfences, (fence, event) => (event.type === 'delete' || (event.type === 'update' && !event.old.metadata.deletionTimestamp && fence.metadata.deletionTimestamp)
      ? fencesIn(fence.metadata.namespace ?? '') : []))
    // Every RoleBinding of a fenced namespace, in both caches: ours to keep in place (whatever an
    // edit did to its ownerReference), the others for AccessDrift.
    .watches(roleBindings, (binding) => fencesIn(binding.metadata.namespace ?? ''), GENERATED)
    .watches(roleBindings, (binding) => fencesIn(binding.metadata.namespace ?? ''), OTHER_BINDINGS)
    // A peer namespace appearing or going changes what status reports as missing.
    .watches(namespaces, (ns) => fences.byIndex(PEER_NAMESPACE, ns.metadata.name)
      .map((f) => ({ namespace: f.metadata.namespace, name: f.metadata.name })), NAMESPACE_METADATA)
    .reconcile(reconcile);
}
