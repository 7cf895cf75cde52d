// Which PodSecurityBaselines select a namespace, and what Pod Security each mode gets there when several
// do: the strictest level wins, then the newest version, then the baseline first by name, so
// every replica and every pass decides the same.
import type { PodSecurityBaselineSpec } from '../api/podsecuritybaseline.ts';
import { PSA_LEVELS, PSA_MODES, type Level } from './types.ts';

export { PSA_LEVELS, PSA_MODES, type Level };
import { matchesSelector } from '../kubernetes/selectors.ts';

export type Mode = (typeof PSA_MODES)[number];
export type Rollout = 'AuditFirst' | 'Immediate';

export interface LevelVersion {
  level: Level;
  version: string;
}

export interface Baseline {
  metadata: { name: string; deletionTimestamp?: string };
  spec: PodSecurityBaselineSpec;
}

export interface NamespaceView {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
}

/** What one mode gets in a namespace, and which baseline decided it. */
export interface ModeWinner {
  value: LevelVersion;
  baseline: string;
}

export interface EffectivePolicy {
  modes: Record<Mode, ModeWinner>;
  /** The rollout of the baseline whose enforce level wins. */
  rollout: Rollout;
}

export const PSA_LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const levelLabel = (mode: Mode) => `${PSA_LABEL_PREFIX}${mode}`;
export const versionLabel = (mode: Mode) => `${PSA_LABEL_PREFIX}${mode}-version`;
export const modeOfLabel = (label: string) => PSA_MODES.find((mode) => label === levelLabel(mode) || label === versionLabel(mode));
/** The six labels Palisade may touch; no other label, ever. */
export const PSA_LABELS = PSA_MODES.flatMap((mode) => [levelLabel(mode), versionLabel(mode)]);

/** Namespaces a selector never picks: the control plane's own and the operator's. Naming one under `namespaces` still does. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

export function selects(baseline: Baseline, namespace: NamespaceView, operatorNamespace: string): boolean {
  const { name, labels } = namespace.metadata;
  const { spec } = baseline;
  if (spec.excludeNamespaces?.includes(name)) return false;
  if (spec.namespaces?.includes(name)) return true;
  if (!spec.namespaceSelector || SYSTEM_NAMESPACES.includes(name) || name === operatorNamespace) return false;
  return matchesSelector(spec.namespaceSelector, labels);
}

/** The level and version a baseline sets for a mode: audit and warn default to enforce. */
export function modeValue(spec: PodSecurityBaselineSpec, mode: Mode): LevelVersion {
  const chosen = spec[mode] ?? spec.enforce;
  return { level: chosen.level, version: chosen.version ?? 'latest' };
}

/** Positive when `a` is stricter than `b`: a higher level, else a newer version (latest is newest). */
export function compareStrictness(a: LevelVersion, b: LevelVersion): number {
  const byLevel = PSA_LEVELS.indexOf(a.level) - PSA_LEVELS.indexOf(b.level);
  return byLevel || compareVersions(a.version, b.version);
}

function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version === 'latest' ? [Infinity, Infinity] : version.slice(1).split('.').map(Number);
  const [[majorA, minorA], [majorB, minorB]] = [parts(a), parts(b)] as [number[], number[]];
  return Math.sign(majorA! - majorB!) || Math.sign(minorA! - minorB!);
}

/** The policy for a namespace from the baselines that select it; undefined when none does. */
export function effectivePolicy(selecting: Baseline[]): EffectivePolicy | undefined {
  if (selecting.length === 0) return undefined;
  const ordered = [...selecting].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const winner = (mode: Mode): ModeWinner => ordered
    .map((baseline) => ({ value: modeValue(baseline.spec, mode), baseline: baseline.metadata.name }))
    .reduce((best, next) => (compareStrictness(next.value, best.value) > 0 ? next : best));
  const modes = { enforce: winner('enforce'), audit: winner('audit'), warn: winner('warn') };
  const enforcer = ordered.find((baseline) => baseline.metadata.name === modes.enforce.baseline)!;
  return { modes, rollout: enforcer.spec.rollout ?? 'AuditFirst' };
}

/** The enforce level and version a namespace's labels put in force, if both are set. */
export function liveEnforce(labels: Record<string, string> = {}): LevelVersion | undefined {
  const level = labels[levelLabel('enforce')] as Level | undefined;
  return level ? { level, version: labels[versionLabel('enforce')] ?? 'latest' } : undefined;
}

export const sameLevelVersion = (a: LevelVersion | undefined, b: LevelVersion | undefined) =>
  a?.level === b?.level && a?.version === b?.version;
