// Label selectors evaluated the way the API server does (metav1.LabelSelector): every
// matchLabels pair and every matchExpressions requirement must hold.
import type { LabelSelector } from './objects.ts';

export function matchesSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  // Without an array per call: a status counts thousands of namespaces against each selector.
  for (const key in selector.matchLabels) if (labels[key] !== selector.matchLabels[key]) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case 'In': return has && values.includes(labels[key]!);
      case 'NotIn': return !has || !values.includes(labels[key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}
