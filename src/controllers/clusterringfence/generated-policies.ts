// The cache of the ClusterNetworkPolicies ClusterRingfences generated, in the version the cluster
// serves: made once discovery finds the kind (its CRDs may come after the operator), and let go
// when it is served no longer (a 404 to the cache's list or watch: the CRDs removed, or the version
// dropped), so that nothing retries against a kind that is gone. One step at a time asks which
// version is served and makes or releases the cache for it: a reconcile never makes again a cache
// that another step just let go.
import { MANAGED_BY_LABEL } from '../../kubernetes/objects.ts';
import { isNotFound, type Resource } from '../../runtime/client.ts';
import { writtenBy } from '../../runtime/controller.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { CacheView, Manager } from '../../runtime/manager.ts';
import { CLUSTER_RINGFENCE_LABEL } from './render.ts';
import type { ServedApi } from './served-api.ts';

/** What this controller generates carries its label: not every ClusterNetworkPolicy of the cluster. */
const GENERATED: CacheView = { labelSelector: `${MANAGED_BY_LABEL}=palisade,${CLUSTER_RINGFENCE_LABEL}` };

/** The served resource and the cache of it; both undefined while the cluster serves no version. */
export interface ServedPolicies {
  resource: Resource | undefined;
  cache: Informer | undefined;
}

export interface GeneratedPolicyOptions {
  manager: Manager;
  served: ServedApi;
  /** The controller whose writes these are: its reconcile of a ringfence is not told of that ringfence's own write. */
  controller: string;
  /** Told of each ringfence a change concerns, by name. */
  changed: (name: string) => void;
  /** Every ringfence's name: each is told when the kind stops being served. */
  ringfences: () => string[];
}

export class GeneratedPolicies {
  private readonly options: GeneratedPolicyOptions;
  private current: { resource: Resource; cache: Informer } | undefined;
  private step: Promise<unknown> = Promise.resolve();

  constructor(options: GeneratedPolicyOptions) {
    this.options = options;
  }

  /** The served resource and its cache, after the steps asked for before this one. */
  resolve(): Promise<ServedPolicies> {
    const next = this.step.then(() => this.sync(), () => this.sync());
    this.step = next;
    return next;
  }

  private async sync(): Promise<ServedPolicies> {
    const resource = await this.options.served.resolve();
    if (this.current && this.current.resource.version !== resource?.version) {
      const released = this.current.cache;
      this.current = undefined;
      await this.options.manager.release(released);
    }
    if (resource && !this.current) this.current = { resource, cache: this.watch(resource) };
    return { resource, cache: this.current?.cache };
  }

  private watch(resource: Resource): Informer {
    const { manager, served, controller, changed, ringfences } = this.options;
    const cache = manager.informer(resource, GENERATED);
    cache.onEvent((event) => {
      if (event.type === 'resync') return;
      const owners = new Set([event.object, ...(event.type === 'update' ? [event.old] : [])].map((o) => o.metadata.labels?.[CLUSTER_RINGFENCE_LABEL]));
      // A reconcile's own write, told from its answer, does not start it again.
      for (const name of owners) if (name && !writtenBy(event, controller, name)) changed(name);
    });
    cache.onFailure((error) => {
      if (!isNotFound(error) || this.current?.cache !== cache) return;
      served.forget();
      // Let go here, whether a ringfence reconciles or not; then each says what it finds.
      void this.resolve().catch(() => undefined).then(() => ringfences().forEach(changed));
    });
    return cache;
  }
}
