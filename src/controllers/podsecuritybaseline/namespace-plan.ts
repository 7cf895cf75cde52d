// What to do with one namespace's Pod Security labels: take them over, keep them, put them back
// after a hand edit, or hand them back exactly as they were. The namespace itself carries what
// was there before Palisade (an annotation written in the same request as the labels), so the
// plan is re-derived from the live object on every pass and survives any restart.
import { createPatch, type Operation } from 'rfc6902';
import { PSA_MODES } from '../../podsecurity/namespace-policy.ts';
import {
  PSA_LABELS, levelLabel, liveEnforce, sameLevelVersion, versionLabel, type EffectivePolicy, type LevelVersion, type Mode,
} from '../../podsecurity/namespace-policy.ts';
import { noViolations, type NamespaceViolations } from './violations.ts';

export const STATE_ANNOTATION = 'palisade.dev/pod-security';

/**
 * Kept on a managed namespace: the six labels' values before Palisade, and the values it last
 * set. `previous` is undefined when the annotation was damaged: what was there is unknown.
 */
export interface LabelState {
  previous: Record<string, string> | undefined;
  applied: Record<string, string>;
}

export interface ManagedNamespace {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface Drift {
  label: string;
  applied: string;
  found: string | undefined;
}

export type NamespacePlan =
  | { action: 'none' }
  /** The enforce level is not in force yet: a dry run must say which pods it would reject. */
  | { action: 'check'; enforce: LevelVersion }
  | { action: 'apply'; labels: Record<string, string>; state: LabelState; enforced: boolean; drift: Drift[] }
  | { action: 'release'; patch: Operation[] };

export function readState(namespace: ManagedNamespace): LabelState | undefined {
  const raw = namespace.metadata.annotations?.[STATE_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const { previous, applied = {} } = JSON.parse(raw) as Partial<LabelState>;
    return { previous: previous ?? undefined, applied };
  } catch {
    // Mangled by hand: what was there before is lost. On release the labels then stay as they
    // are: removing them could loosen the namespace to the cluster's default.
    return { previous: undefined, applied: {} };
  }
}

const psaLabels = (labels: Record<string, string> = {}) =>
  Object.fromEntries(PSA_LABELS.filter((key) => labels[key] !== undefined).map((key) => [key, labels[key]!]));

const modeLabels = (mode: Mode, value: LevelVersion) => ({ [levelLabel(mode)]: value.level, [versionLabel(mode)]: value.version });

/**
 * `violations` is the dry run's answer for the winning enforce level, when the plan asked for one.
 */
export function planNamespace(namespace: ManagedNamespace, policy: EffectivePolicy | undefined, violations?: NamespaceViolations): NamespacePlan {
  const state = readState(namespace);
  if (!policy) return state ? { action: 'release', patch: releasePatch(namespace, state) } : { action: 'none' };

  const live = namespace.metadata.labels ?? {};
  const enforce = policy.modes.enforce.value;
  const inForce = sameLevelVersion(liveEnforce(live), enforce);
  if (!inForce && !violations) return { action: 'check', enforce };
  const enforced = inForce || policy.rollout === 'Immediate' || noViolations(violations!);

  const labels: Record<string, string> = {};
  for (const mode of PSA_MODES) {
    if (mode !== 'enforce' || enforced) Object.assign(labels, modeLabels(mode, policy.modes[mode].value));
  }
  // Enforcement waits: what Palisade put in force stays (a hand edit that loosened it is drift,
  // put back); where it never enforced, what was there stays.
  if (!enforced) {
    const source = state?.applied[levelLabel('enforce')] ? state.applied : live;
    Object.assign(labels, psaLabels({ [levelLabel('enforce')]: source[levelLabel('enforce')]!, [versionLabel('enforce')]: source[versionLabel('enforce')]! }));
  }

  const drift = Object.entries(state?.applied ?? {})
    .filter(([label, value]) => live[label] !== value)
    .map(([label, applied]) => ({ label, applied, found: live[label] }));
  return { action: 'apply', labels, state: { previous: state ? state.previous : psaLabels(live), applied: sorted(labels) }, enforced, drift };
}

/** The namespace to apply for an 'apply' plan: the six labels and the state, nothing else. */
export function namespaceApply(name: string, plan: Extract<NamespacePlan, { action: 'apply' }>) {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, labels: plan.labels, annotations: { [STATE_ANNOTATION]: JSON.stringify({ previous: plan.state.previous && sorted(plan.state.previous), applied: plan.state.applied }) } },
  };
}

/** A JSON Patch that restores the labels as they were before Palisade, removes the state, and fails if the namespace moved on. */
function releasePatch(namespace: ManagedNamespace, state: LabelState): Operation[] {
  const { labels = {}, annotations = {}, resourceVersion } = namespace.metadata;
  const before = { labels: psaLabels(labels), annotations: { [STATE_ANNOTATION]: annotations[STATE_ANNOTATION] } };
  const after = { labels: state.previous ? psaLabels(state.previous) : before.labels, annotations: {} };
  const changes = createPatch(before, after).map((op) => ({ ...op, path: `/metadata${op.path}` }));
  return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...changes];
}

const sorted = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
