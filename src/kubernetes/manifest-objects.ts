// Objects as manifests and live lists give them (any kind, nothing defaulted), and the pod templates
// inside them: what palisade scan and the reachability world read.
import type { FieldPath } from '../api/manifest-lines.ts';
import type { PodMetadata, PodSpec } from '../podsecurity/index.ts';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta | null;
  [field: string]: unknown;
}

export interface PodTemplate {
  /** Where the template is in its object: [] for a Pod, ['spec', 'template'] for a Deployment. */
  path: FieldPath;
  metadata: PodMetadata & { labels?: Record<string, string> | null };
  spec: PodSpec & { automountServiceAccountToken?: boolean | null; serviceAccountName?: string | null; serviceAccount?: string | null };
  /** A Pod's own spec, which the API server defaults as a Pod (see src/podsecurity/defaults.ts). */
  podObject: boolean;
}

/** The API group of an apiVersion: '' for the core group's v1. */
export const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Where each kind that runs pods keeps its template, by API group. */
const TEMPLATES: Record<string, { group: string; path: FieldPath }> = {
  Pod: { group: '', path: [] },
  ReplicationController: { group: '', path: ['spec', 'template'] },
  Deployment: { group: 'apps', path: ['spec', 'template'] },
  StatefulSet: { group: 'apps', path: ['spec', 'template'] },
  DaemonSet: { group: 'apps', path: ['spec', 'template'] },
  ReplicaSet: { group: 'apps', path: ['spec', 'template'] },
  Job: { group: 'batch', path: ['spec', 'template'] },
  CronJob: { group: 'batch', path: ['spec', 'jobTemplate', 'spec', 'template'] },
};

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` in `value`, if every step of it is there. */
export function fieldAt(value: unknown, path: FieldPath): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}

/** The pod template of a workload (or a Pod's own metadata and spec); undefined for an object that runs no pods. */
export function podTemplate(object: KubeObject): PodTemplate | undefined {
  const known = TEMPLATES[object.kind];
  if (!known || groupOf(object.apiVersion) !== known.group) return undefined;
  const template = fieldAt(object, known.path) as { metadata?: PodTemplate['metadata'] | null; spec?: PodTemplate['spec'] | null } | undefined;
  return { path: known.path, metadata: template?.metadata ?? {}, spec: template?.spec ?? {}, podObject: object.kind === 'Pod' };
}

/** Kinds without a namespace, among those a scan or a reachability question reads or names. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'APIService', 'IngressClass', 'RuntimeClass', 'PodSecurityBaseline', 'KeyRotationSchedule',
  'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy', 'CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy',
]);

/** The object's namespace: its own, else `defaultNamespace` as kubectl applies it; undefined when cluster-scoped. */
export function namespaceOf(object: KubeObject, defaultNamespace: string): string | undefined {
  if (CLUSTER_SCOPED.has(object.kind)) return undefined;
  return object.metadata?.namespace || defaultNamespace;
}
