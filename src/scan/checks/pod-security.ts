// Pod Security Standards on a pod template, exactly as the API server's admission judges it, at
// the level its namespace enforces (or the one asked for).
import { checksAt, evaluate, forbiddenDetail, minorOf } from '../../podsecurity/index.ts';
import { effectivePolicy, liveEnforce, selects } from '../../podsecurity/namespace-policy.ts';
import { namespaceLabels, type ScanContext } from '../context.ts';
import { podTemplate } from '../../kubernetes/manifest-objects.ts';
import { ruleById } from '../rules.ts';
import type { PodSecurityTarget, Rule } from '../types.ts';
import type { Check } from './check.ts';
import { failurePath } from './pod-security-location.ts';

/** The level and version `namespace` holds pods to, and why; the default is restricted, the strictest. */
export function podSecurityTarget(context: ScanContext, namespace: string): PodSecurityTarget {
  const { level, version } = context.options;
  if (level !== 'auto') return { level, version, from: '--level' };
  const labels = namespaceLabels(context, namespace);
  const labelled = context.namespaces.has(namespace) ? liveEnforce(labels) : undefined;
  if (labelled) return { ...labelled, from: `the enforce label of Namespace ${namespace}` };
  const selecting = context.baselines.filter((baseline) => selects(baseline, { metadata: { name: namespace, labels } }, ''));
  const policy = effectivePolicy(selecting);
  if (policy) return { ...policy.modes.enforce.value, from: `PodSecurityBaseline ${policy.modes.enforce.baseline}` };
  return { level: 'restricted', version, from: 'the default (no enforce label or PodSecurityBaseline in the input)' };
}

const rulesAt = (target: PodSecurityTarget): Rule[] => checksAt(target.level, minorOf(target.version)).map(({ id }) => ruleById(`pss/${id}`)!);

export const podSecurity: Check = (subject, context) => {
  const template = podTemplate(subject.value);
  if (!template) return undefined;
  const target = podSecurityTarget(context, subject.ref.namespace ?? context.options.defaultNamespace);
  const verdict = evaluate(template, { level: target.level, version: target.version, podObject: template.podObject });
  const issues = verdict.failures.map((failure) => ({
    rule: ruleById(`pss/${failure.id}`)!,
    message: forbiddenDetail([failure]),
    path: failurePath(template, failure),
  }));
  return { rules: rulesAt(target), issues, podSecurity: target };
};
