// A namespace that enforces no Pod Security level admits any pod, unless a PodSecurityBaseline
// the operator applies will label it.
import { levelLabel, selects } from '../../podsecurity/namespace-policy.ts';
import { namespaceLabels } from '../context.ts';
import { PALISADE_RULES as R } from '../rules.ts';
import type { Check } from './check.ts';

export const namespaceWithoutEnforce: Check = (subject, context) => {
  if (subject.value.apiVersion !== 'v1' || subject.value.kind !== 'Namespace') return undefined;
  const name = subject.ref.name;
  const labels = namespaceLabels(context, name);
  const enforced = labels[levelLabel('enforce')] !== undefined || context.baselines.some((baseline) => selects(baseline, { metadata: { name, labels } }, ''));
  return {
    rules: [R.noEnforceLabel],
    issues: enforced ? [] : [{ rule: R.noEnforceLabel, message: `Namespace ${name} has no ${levelLabel('enforce')} label and no PodSecurityBaseline selects it`, path: ['metadata'] }],
  };
};
