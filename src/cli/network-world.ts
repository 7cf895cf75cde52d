// The world `palisade can-reach` and `palisade map` answer in: the files' objects (YAML read as
// kubectl reads it), or a live cluster's (read-only), or the files applied over the cluster.
// NamespaceRingfences and ClusterRingfences in the files are checked as the API server would and
// rendered with the operator's own code; every policy a ringfence generated names the spec field of
// each rule.
import { API_VERSION, type KindDefinition } from '../api/crd.ts';
import { namespaceRingfence, type NamespaceRingfenceSpec } from '../api/namespaceringfence.ts';
import { render, RINGFENCE_LABEL, specFieldOf } from '../controllers/namespaceringfence/render.ts';
import { MANAGED_BY_LABEL } from '../kubernetes/objects.ts';
import { clusterRingfence, type ClusterRingfenceSpec } from '../api/clusterringfence.ts';
import { CLUSTER_RINGFENCE_LABEL, clusterSpecFieldOf } from '../controllers/clusterringfence/render.ts';
import { namespacesIn, offlineClusterPolicies } from './offline-cluster-policies.ts';
import { groupOf, type KubeObject } from '../kubernetes/manifest-objects.ts';
import { clusterNetworkPolicies } from '../kubernetes/resources.ts';
import { compileClusterPolicy, isClusterPolicyVersion } from '../reachability/cluster-policies.ts';
import { worldOf, type ObjectsWorld } from '../reachability/objects.ts';
import { compilePolicy } from '../reachability/policies.ts';
import type { ClusterNetworkPolicySource, ClusterOriginOf, NetworkPolicySource, OriginOf } from '../reachability/types.ts';
import { errorMessage } from '../runtime/errors.ts';
import { InputError, subjectsOf } from '../scan/subjects.ts';
import type { Subject } from '../scan/objects.ts';
import { readInputs } from './inputs.ts';
import { UsageError } from './usage.ts';

/** Where the world comes from: files, a cluster (readLive), or both (the files as if applied to the cluster). */
export interface WorldSource {
  files: readonly string[];
  live?: LiveObjects;
  defaultNamespace: string;
}

/** A rule of a policy a ringfence generated names the ringfence and the spec field it comes from. */
export const ringfenceOrigin: OriginOf = (policy, direction, rule, peer) => {
  const labels = policy.metadata.labels ?? {};
  const ringfence = labels[RINGFENCE_LABEL];
  if (labels[MANAGED_BY_LABEL] !== 'palisade' || !ringfence) return undefined;
  const field = rule === undefined ? undefined : specFieldOf(policy.metadata.name, direction, rule, peer);
  return { object: `NamespaceRingfence ${policy.metadata.namespace}/${ringfence}`, ...(field ? { field } : {}) };
};

/** A rule of a ClusterNetworkPolicy a ClusterRingfence generated names the ringfence and the spec field it comes from. */
export const clusterRingfenceOrigin: ClusterOriginOf = (policy, direction, rule, peer) => {
  const labels = policy.metadata.labels ?? {};
  const ringfence = labels[CLUSTER_RINGFENCE_LABEL];
  if (labels[MANAGED_BY_LABEL] !== 'palisade' || !ringfence) return undefined;
  const field = clusterSpecFieldOf((direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress)?.[rule]?.name ?? undefined, peer);
  return { object: `ClusterRingfence ${ringfence}`, ...(field ? { field } : {}) };
};

const where = (subject: Subject) => `${subject.location.file}: document ${subject.location.document} (line ${subject.location.line})`;

/**
 * What the Enforce ringfences among `subjects` of `kind` apply, by `renderOne` on each checked spec;
 * DryRun ones apply none, as the operator. `named` is how a message names one (with its namespace).
 */
async function renderedEach<T>(subjects: readonly Subject[], kind: KindDefinition, named: (subject: Subject) => string, notes: string[],
  renderOne: (subject: Subject, spec: unknown) => T[]): Promise<T[]> {
  if (subjects.length === 0) return [];
  // Loaded only when there are ringfences: the schemas are most of the command's start-up.
  const { validateResource } = await import('../api/validate.ts');
  return subjects.flatMap((subject) => {
    try {
      const { spec } = validateResource(kind, subject.value) as { spec: { mode?: string } };
      if (spec.mode === 'DryRun') {
        notes.push(`${kind.kind} ${named(subject)} is DryRun: it applies no policy`);
        return [];
      }
      return renderOne(subject, spec);
    } catch (error) {
      throw new UsageError(errorMessage(error).split('\n').map((line) => `${where(subject)}: ${kind.kind} ${named(subject)}: ${line}`).join('\n'));
    }
  });
}

const namespacedName = ({ value, ref }: Subject) => `${ref.namespace ?? ''}/${value.metadata?.name ?? ''}`;

/** The NetworkPolicies the NamespaceRingfences among `ringfences` apply. */
const renderedPolicies = (ringfences: readonly Subject[], notes: string[]): Promise<NetworkPolicySource[]> =>
  renderedEach(ringfences, namespaceRingfence, namespacedName, notes, ({ value, ref }, spec) =>
    render({ metadata: { name: value.metadata?.name ?? '', namespace: ref.namespace ?? '' }, spec: spec as NamespaceRingfenceSpec }).networkPolicies);

/** The ClusterNetworkPolicies the ClusterRingfences among `ringfences` apply over the Namespaces of `objects`. */
function renderedClusterPolicies(ringfences: readonly Subject[], objects: readonly KubeObject[], notes: string[]): Promise<KubeObject[]> {
  const namespaces = namespacesIn(objects);
  return renderedEach(ringfences, clusterRingfence, ({ ref }) => ref.name, notes, ({ ref }, spec) =>
    offlineClusterPolicies(ref.name, spec as ClusterRingfenceSpec, namespaces) as unknown as KubeObject[]);
}

/**
 * Of network-policy-api, ClusterNetworkPolicy is read in the versions of v0.3.0's standard channel;
 * another version of it is bad input. Its older kinds (AdminNetworkPolicy...) are named as not modelled.
 */
function checkClusterPolicyVersion({ value: { apiVersion } }: Subject) {
  const versions = clusterNetworkPolicies.versions.map((version) => `${clusterNetworkPolicies.group}/${version}`).join(' or ');
  if (!isClusterPolicyVersion(apiVersion)) throw new Error(`apiVersion: ${apiVersion} is not a version of ClusterNetworkPolicy read here: ${versions}`);
}

/** A policy the evaluator cannot read (a CIDR that is none) or would misread (another API's kind) is bad input, named by file. */
function checkPolicies(subjects: readonly Subject[]) {
  for (const subject of subjects) {
    const { value, ref } = subject;
    try {
      if (value.kind === 'NetworkPolicy' && value.apiVersion === 'networking.k8s.io/v1') {
        compilePolicy({ ...(value as unknown as NetworkPolicySource), metadata: { name: ref.name, namespace: ref.namespace ?? '' } });
      } else if (groupOf(value.apiVersion) === clusterNetworkPolicies.group && value.kind === clusterNetworkPolicies.kind) {
        checkClusterPolicyVersion(subject);
        compileClusterPolicy({ ...(value as unknown as ClusterNetworkPolicySource), metadata: { ...value.metadata, name: ref.name } });
      }
    } catch (error) {
      throw new UsageError(`${where(subject)}: ${errorMessage(error)}`);
    }
  }
}

/** The cluster's objects, as a world reads them; read once, however many worlds are made of it. */
export interface LiveObjects {
  objects: KubeObject[];
  notes: string[];
}

export async function readLive(kubeconfig: string): Promise<LiveObjects> {
  const { clusterObjects, NETWORK_RESOURCES } = await import('./cluster-objects.ts');
  // With the Pods controllers made: a workload is known by its pods' addresses too.
  const live = await clusterObjects(kubeconfig, NETWORK_RESOURCES, { all: true }, { keepOwned: true, optional: [clusterNetworkPolicies] });
  return { objects: live.objects, notes: live.skipped.map((skipped) => `not read: ${skipped}`) };
}

// By API group, not version: a ClusterNetworkPolicy of the files in v1alpha2 replaces the cluster's, read as v1beta1.
const keyOf = (object: KubeObject, defaultNamespace: string) =>
  `${groupOf(object.apiVersion)}/${object.kind}/${object.metadata?.namespace ?? defaultNamespace}/${object.metadata?.name ?? ''}`;

/**
 * The cluster's objects with the files' applied over them: an object of the files replaces the
 * cluster's of the same name, and a ringfence of the files replaces all the policies it had
 * generated (a rule it no longer has goes with them).
 */
function appliedOver(live: readonly KubeObject[], files: readonly KubeObject[], ringfences: readonly Subject[], defaultNamespace: string): KubeObject[] {
  const mine = new Set(files.map((object) => keyOf(object, defaultNamespace)));
  const fenced = new Set(ringfences.map(({ ref, value }) => (value.kind === clusterRingfence.kind ? ref.name : `${ref.namespace}/${ref.name}`)));
  const generatedByMine = (object: KubeObject) => {
    const labels = object.metadata?.labels ?? {};
    if (labels[MANAGED_BY_LABEL] !== 'palisade') return false;
    if (object.kind === 'ClusterNetworkPolicy') return fenced.has(labels[CLUSTER_RINGFENCE_LABEL] ?? '');
    return object.kind === 'NetworkPolicy' && fenced.has(`${object.metadata?.namespace}/${labels[RINGFENCE_LABEL]}`);
  };
  return [...live.filter((object) => !mine.has(keyOf(object, defaultNamespace)) && !generatedByMine(object)), ...files];
}

const isRingfence = ({ value }: Subject) => value.apiVersion === API_VERSION && value.kind === namespaceRingfence.kind;
const isClusterRingfence = ({ value }: Subject) => value.apiVersion === API_VERSION && value.kind === clusterRingfence.kind;

/** The world of `source`, with what it leaves out. Bad input throws UsageError naming file, document and field. */
export async function networkWorld(source: WorldSource): Promise<ObjectsWorld> {
  const notes: string[] = [...(source.live?.notes ?? [])];
  let subjects: Subject[];
  try {
    subjects = readInputs(source.files).flatMap(({ name, text }) => subjectsOf(name, text, source.defaultNamespace));
  } catch (error) {
    throw error instanceof InputError ? new UsageError(error.message) : error;
  }
  if (source.files.length > 0 && subjects.length === 0) throw new UsageError(`no objects in ${source.files.join(', ')}`);
  checkPolicies(subjects);
  const ringfences = subjects.filter(isRingfence);
  const clusterRingfences = subjects.filter(isClusterRingfence);
  const rendered = await renderedPolicies(ringfences, notes);
  const mine = subjects.map(({ value }) => value);
  const objects = source.live ? appliedOver(source.live.objects, mine, [...ringfences, ...clusterRingfences], source.defaultNamespace) : mine;
  const clusterPolicies = await renderedClusterPolicies(clusterRingfences, objects, notes);
  const { world, notModelled } = worldOf([...objects, ...clusterPolicies], source.defaultNamespace, rendered);
  return { world: { ...world, originOf: ringfenceOrigin, clusterOriginOf: clusterRingfenceOrigin }, notModelled: [...notes, ...notModelled] };
}
