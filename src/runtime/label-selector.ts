// The equality-based label selectors an informer lists and watches with (`a=b,c!=d,e,!f`), read as
// the API server reads them, so that the informer knows which of its own writes it would see.
export type LabelRequirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string };

export function parseLabelSelector(selector: string): LabelRequirement[] {
  return selector.split(',').map((part) => part.trim()).filter(Boolean).map((part): LabelRequirement => {
    const match = /^([^=!\s<>()]+)\s*(==|=|!=)\s*([^=!\s<>()]*)$/.exec(part);
    if (match) return { key: match[1]!, op: match[2] === '!=' ? '!=' : '=', value: match[3]! };
    if (/^![^=!\s<>()]+$/.test(part)) return { key: part.slice(1), op: '!exists' };
    if (/^[^=!\s<>()]+$/.test(part)) return { key: part, op: 'exists' };
    throw new Error(`label selector ${JSON.stringify(selector)}: only equality-based requirements are supported, not ${JSON.stringify(part)}`);
  });
}

export function matchesLabels(requirements: readonly LabelRequirement[], labels: Record<string, string> = {}): boolean {
  return requirements.every(({ key, op, value }) => {
    const has = Object.hasOwn(labels, key);
    switch (op) {
      case '=': return has && labels[key] === value;
      case '!=': return !has || labels[key] !== value;
      case 'exists': return has;
      case '!exists': return !has;
    }
  });
}
