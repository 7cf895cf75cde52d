// The world `palisade can-reach` and `palisade map` answer in: the files' objects (YAML read as
// kubectl reads it), or a live cluster's (read-only), or the files applied over the cluster.
// NamespaceRingfences in the files are checked as the API server would and rendered with the
// operator's own code; every policy a ringfence generated names the spec field of each rule.
import { API_VERSION } from '../api/crd.ts';
import { namespaceRingfence, type NamespaceRingfenceSpec } from '../api/namespaceringfence.ts';
import { MANAGED_BY_LABEL, render, RINGFENCE_LABEL, specFieldOf } from '../controllers/namespaceringfence/render.ts';
import type { KubeObject } from '../kubernetes/manifest-objects.ts';
import { worldOf, type ObjectsWorld } from '../reachability/objects.ts';
import { compilePolicy } from '../reachability/policies.ts';
import type { NetworkPolicySource, OriginOf } from '../reachability/types.ts';
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

const where = (subject: Subject) => `${subject.location.file}: document ${subject.location.document} (line ${subject.location.line})`;

/** The policies the Enforce ringfences among `ringfences` apply; DryRun ones apply none, as the operator. */
async function renderedPolicies(ringfences: readonly Subject[], notes: string[]): Promise<NetworkPolicySource[]> {
  if (ringfences.length === 0) return [];
  // Loaded only when there are ringfences: the schemas are most of the command's start-up.
  const { validateResource } = await import('../api/validate.ts');
  return ringfences.flatMap((subject) => {
    const { name = '', namespace = '' } = { ...subject.value.metadata, namespace: subject.ref.namespace };
    try {
      const { spec } = validateResource(namespaceRingfence, subject.value) as { spec: NamespaceRingfenceSpec };
      if (spec.mode === 'DryRun') {
        notes.push(`NamespaceRingfence ${namespace}/${name} is DryRun: it applies no policy`);
        return [];
      }
      return render({ metadata: { name, namespace }, spec }).networkPolicies;
    } catch (error) {
      throw new UsageError(errorMessage(error).split('\n').map((line) => `${where(subject)}: NamespaceRingfence ${namespace}/${name}: ${line}`).join('\n'));
    }
  });
}

/** A NetworkPolicy the evaluator cannot read (a CIDR that is none) is bad input, named by file. */
function checkPolicies(subjects: readonly Subject[]) {
  for (const subject of subjects) {
    if (subject.value.kind !== 'NetworkPolicy' || subject.value.apiVersion !== 'networking.k8s.io/v1') continue;
    try {
      compilePolicy({ ...(subject.value as unknown as NetworkPolicySource), metadata: { name: subject.ref.name, namespace: subject.ref.namespace ?? '' } });
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
  const live = await clusterObjects(kubeconfig, NETWORK_RESOURCES, { all: true }, { keepOwned: true });
  return { objects: live.objects, notes: live.skipped.map((skipped) => `not read: ${skipped}`) };
}

const keyOf = (object: KubeObject, defaultNamespace: string) =>
  `${object.apiVersion}/${object.kind}/${object.metadata?.namespace ?? defaultNamespace}/${object.metadata?.name ?? ''}`;

/**
 * The cluster's objects with the files' applied over them: an object of the files replaces the
 * cluster's of the same name, and a ringfence of the files replaces all the policies it had
 * generated (a rule it no longer has goes with them).
 */
function appliedOver(live: readonly KubeObject[], files: readonly KubeObject[], ringfences: readonly Subject[], defaultNamespace: string): KubeObject[] {
  const mine = new Set(files.map((object) => keyOf(object, defaultNamespace)));
  const fenced = new Set(ringfences.map(({ ref }) => `${ref.namespace}/${ref.name}`));
  const generatedByMine = (object: KubeObject) => {
    const labels = object.metadata?.labels ?? {};
    return object.kind === 'NetworkPolicy' && labels[MANAGED_BY_LABEL] === 'palisade' && fenced.has(`${object.metadata?.namespace}/${labels[RINGFENCE_LABEL]}`);
  };
  return [...live.filter((object) => !mine.has(keyOf(object, defaultNamespace)) && !generatedByMine(object)), ...files];
}

const isRingfence = ({ value }: Subject) => value.apiVersion === API_VERSION && value.kind === namespaceRingfence.kind;

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
  const rendered = await renderedPolicies(ringfences, notes);
  const mine = subjects.map(({ value }) => value);
  const objects = source.live ? appliedOver(source.live.objects, mine, ringfences, source.defaultNamespace) : mine;
  const { world, notModelled } = worldOf(objects, source.defaultNamespace, rendered);
  return { world: { ...world, originOf: ringfenceOrigin }, notModelled: [...notes, ...notModelled] };
}
