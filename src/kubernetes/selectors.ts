// Label selectors evaluated the way the API server does (metav1.LabelSelector): every
// matchLabels pair and every matchExpressions requirement must hold.
import type { LabelSelector } from './objects.ts';

export function matchesSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const pairs = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return pairs && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
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
