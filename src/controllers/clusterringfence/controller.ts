// The ClusterRingfence controller: observes what the caches hold, and lets the runtime carry out
// what decide() returns. The ClusterNetworkPolicy cache follows the version served
// (generated-policies.ts); its events reach the owner by label.
import { clusterRingfences } from '../../api/resources.ts';
import { NAMESPACE_METADATA, namespaces } from '../../kubernetes/resources.ts';
import { matchesSelector } from '../../kubernetes/selectors.ts';
import type { KubeObject } from '../../runtime/client.ts';
import { controller, Trigger, type ControllerSpec, type ReconcileOutcome, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { decide, type ObservedClusterRingfence } from './decide.ts';
import { CLUSTER_RINGFENCE_LABEL } from './render.ts';
import { GeneratedPolicies } from './generated-policies.ts';
import { ServedApi } from './served-api.ts';
import { priorityBand } from './settings.ts';

const CONTROLLER = 'clusterringfence';
// A reconcile reads every namespace: while thousands are labelled, one a second per ringfence.
const NAMESPACE_COALESCE_MS = 1_000;
const UNSYNCED_RECHECK_MS = 500;

export function clusterRingfenceController({ client, settings, manager, effects, clock }: OperatorContext): ControllerSpec {
  const band = priorityBand(settings);
  const fences = manager.informer<ObservedClusterRingfence>(clusterRingfences);
  const namespaceCache = manager.informer(namespaces, NAMESPACE_METADATA);
  const generatedChanged = new Trigger();
  const policies = new GeneratedPolicies({
    manager, served: new ServedApi(client, clock), controller: CONTROLLER,
    changed: (name) => generatedChanged.fire({ name }), ringfences: () => fences.list().map((f) => f.metadata.name),
  });

  const selected = (fence: ObservedClusterRingfence) => namespaceCache.list()
    .filter((ns) => !ns.metadata.deletionTimestamp && matchesSelector(fence.spec.namespaceSelector, ns.metadata.labels))
    .map((ns) => ({ name: ns.metadata.name, labels: ns.metadata.labels ?? {} }));

  async function reconcile({ name }: Request): Promise<ReconcileOutcome> {
    const ringfence = fences.get(name);
    if (!ringfence || ringfence.metadata.deletionTimestamp) return undefined;
    const { resource, cache } = await policies.resolve();
    // Deletes and drift are judged from the cache: not before it holds what the cluster does.
    if (cache && !cache.hasSynced) return { requeueAfterMs: UNSYNCED_RECHECK_MS };
    const generatedBy = (policy: KubeObject | undefined) => policy?.metadata.labels?.[CLUSTER_RINGFENCE_LABEL];
    // Ours by label and by ownerReference: a label anyone could set alone does not make a policy ours to delete.
    const owned = (cache?.list() ?? []).filter((p: KubeObject) => generatedBy(p) === name
      && p.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === ringfence.metadata.uid));
    const claimedBy = (policy: string) => {
      const owner = generatedBy(cache?.get(policy));
      return owner !== name ? owner : undefined;
    };
    const observed = { ringfence, ringfences: fences.list(), served: resource, namespaces: selected(ringfence), owned, claimedBy, band, now: clock() };
    return effects.run((failures) => decide(observed, failures));
  }

  return controller(CONTROLLER)
    .for(clusterRingfences).reportsReady()
    // Which namespaces (and tenants) a ringfence covers follows their labels: events of those it selects, or did.
    .watches(namespaces, (ns, event) => fences.list()
      .filter((f) => [ns, ...(event.type === 'update' ? [event.old] : [])].some((o) => matchesSelector(f.spec.namespaceSelector, o.metadata.labels)))
      .map((f) => ({ name: f.metadata.name })), NAMESPACE_METADATA, NAMESPACE_COALESCE_MS)
    // Another ringfence taking or leaving a slot may settle a Conflict.
    .watches(clusterRingfences, (fence, event) => (event.type === 'update' && event.old.metadata.generation === fence.metadata.generation
      && !fence.metadata.deletionTimestamp ? [] : fences.list().filter((f) => f.metadata.uid !== fence.metadata.uid).map((f) => ({ name: f.metadata.name }))))
    .triggeredBy(generatedChanged)
    .reconcile(reconcile);
}
