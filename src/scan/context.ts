// What a scan knows of the whole input beyond one object: the namespaces' labels, the
// PodSecurityBaselines, ringfences and NetworkPolicies that apply to them, and the
// ServiceAccounts pods run as. Read once, then every object is checked against it.
import { API_VERSION } from '../api/crd.ts';
import type { LabelSelector } from '../kubernetes/objects.ts';
import type { Baseline } from '../podsecurity/namespace-policy.ts';
import type { Level } from '../podsecurity/index.ts';
import { namespaceOf, type KubeObject } from '../kubernetes/manifest-objects.ts';

export interface ScanOptions {
  /** "auto": the namespace's enforce label, else the PodSecurityBaseline selecting it, else restricted. */
  level: Exclude<Level, 'privileged'> | 'auto';
  /** The Pod Security version when the level is not the namespace's own: "latest" or "v1.N". */
  version: string;
  /** The namespace of namespaced objects that name none, as `kubectl apply -n` would give them. */
  defaultNamespace: string;
}

export interface NetworkPolicyView {
  podSelector?: LabelSelector | null;
  policyTypes?: string[] | null;
  /** Whether it has ingress rules: one that allows something is no default deny. */
  hasIngress: boolean;
  /** Whether it has egress rules: policyTypes defaults from it. */
  hasEgress: boolean;
}

export interface ScanContext {
  options: ScanOptions;
  /** Labels of the namespaces the input (or the cluster) has, kubernetes.io/metadata.name included. */
  namespaces: Map<string, Record<string, string>>;
  baselines: Baseline[];
  /** Namespaces with a NamespaceRingfence that enforces (not DryRun): it writes a default deny that selects every pod. */
  ringfenced: Set<string>;
  networkPolicies: Map<string, NetworkPolicyView[]>;
  /** automountServiceAccountToken of each ServiceAccount, by namespace/name. */
  serviceAccountAutomount: Map<string, boolean | undefined>;
}

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

export function scanContext(objects: Iterable<KubeObject>, options: ScanOptions): ScanContext {
  const context: ScanContext = {
    options, namespaces: new Map(), baselines: [], ringfenced: new Set(), networkPolicies: new Map(), serviceAccountAutomount: new Map(),
  };
  // By name: one given twice (in the cluster, then in the manifests) counts once, as the later.
  const baselines = new Map<string, Baseline>();
  for (const object of objects) {
    const namespace = namespaceOf(object, options.defaultNamespace) ?? '';
    const name = object.metadata?.name ?? '';
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    if (object.apiVersion === 'v1' && object.kind === 'Namespace') {
      context.namespaces.set(name, { ...object.metadata?.labels, 'kubernetes.io/metadata.name': name });
    } else if (object.apiVersion === API_VERSION && object.kind === 'PodSecurityBaseline') {
      baselines.set(name, { metadata: { name }, spec: spec as unknown as Baseline['spec'] });
    } else if (object.apiVersion === API_VERSION && object.kind === 'NamespaceRingfence') {
      if (spec.mode !== 'DryRun') context.ringfenced.add(namespace);
    } else if (object.apiVersion === 'networking.k8s.io/v1' && object.kind === 'NetworkPolicy') {
      push(context.networkPolicies, namespace, {
        podSelector: spec.podSelector as LabelSelector | undefined,
        policyTypes: spec.policyTypes as string[] | undefined,
        hasIngress: Array.isArray(spec.ingress) && spec.ingress.length > 0,
        hasEgress: Array.isArray(spec.egress) && spec.egress.length > 0,
      });
    } else if (object.apiVersion === 'v1' && object.kind === 'ServiceAccount') {
      const automount = object.automountServiceAccountToken;
      context.serviceAccountAutomount.set(`${namespace}/${name}`, typeof automount === 'boolean' ? automount : undefined);
    }
  }
  context.baselines = [...baselines.values()];
  return context;
}

/** A namespace's labels as far as the scan knows them: at least the one Kubernetes sets itself. */
export const namespaceLabels = (context: ScanContext, namespace: string): Record<string, string> =>
  context.namespaces.get(namespace) ?? { 'kubernetes.io/metadata.name': namespace };

/** The policy types a NetworkPolicy has, defaulted as the API server does: Ingress, plus Egress when it has egress rules. */
export const policyTypesOf = (policy: NetworkPolicyView): string[] =>
  policy.policyTypes?.length ? policy.policyTypes : ['Ingress', ...(policy.hasEgress ? ['Egress'] : [])];
