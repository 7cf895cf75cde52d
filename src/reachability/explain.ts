// A verdict in words: for each direction, the rule that allowed it, or that the pod is isolated
// and nothing allowed it; a rule a ringfence generated is named by the ringfence and spec field.
import { endpointName } from './endpoints.ts';
import type { Connection, DirectionVerdict, Endpoint, Origin, RuleRef, Verdict } from './types.ts';

const originText = (origin: Origin | undefined) => (origin ? ` (${origin.object}${origin.field ? ` ${origin.field}` : ''})` : '');

function ruleText(ref: RuleRef): string {
  const field = ref.direction === 'Ingress' ? 'ingress' : 'egress';
  const peers = ref.direction === 'Ingress' ? 'from' : 'to';
  const peer = ref.peer === undefined ? '' : `.${peers}[${ref.peer}]`;
  return `NetworkPolicy ${ref.policy.namespace}/${ref.policy.name} spec.${field}[${ref.rule}]${peer}${originText(ref.origin)}`;
}

/** The isolating policies, those of one ringfence together: "NamespaceRingfence a/b (its NetworkPolicies x, y)". */
function isolationText(isolatedBy: DirectionVerdict['isolatedBy']): string {
  const groups = new Map<string, string[]>();
  for (const { policy, origin } of isolatedBy) {
    const key = origin ? origin.object : `NetworkPolicy ${policy.namespace}/${policy.name}`;
    groups.set(key, [...(groups.get(key) ?? []), policy.name]);
  }
  return [...groups].map(([key, names]) => (key.startsWith('NetworkPolicy ') ? key : `${key} (its NetworkPolicies ${names.join(', ')})`)).join(', ');
}

function directionText(verdict: DirectionVerdict, pod: Endpoint, other: Endpoint, connection: string): string {
  const side = `${verdict.direction.toLowerCase()} of ${endpointName(pod)}`;
  if (verdict.isolatedBy.length === 0) return `  ${side}: allowed: no NetworkPolicy selects it for ${verdict.direction}`;
  if (verdict.decision === 'allowed') return `  ${side}: allowed by ${verdict.allowedBy.map(ruleText).join('; ')}`;
  const excepted = verdict.exceptedBy.length > 0 ? `; ${verdict.exceptedBy.map(ruleText).join('; ')} would, but its ipBlock excepts the address` : '';
  const nothing = `isolated by ${isolationText(verdict.isolatedBy)}, and no rule allows ${connection} ${verdict.direction === 'Egress' ? 'to' : 'from'} ${endpointName(other)}${excepted}`;
  if (verdict.decision === 'denied') return `  ${side}: denied: ${nothing}`;
  return `  ${side}: undetermined: ${nothing}, but ${verdict.undeterminedBy.map(ruleText).join('; ')} holds its IP, `
    + 'and whether an ipBlock matches a pod\'s IP is left to the network plugin';
}

export const connectionText = (connection: Connection) => `${connection.protocol} ${connection.port}`;

/** "FROM -> TO TCP 80: allowed", and with `explain` a line per direction saying why. */
export function verdictText(from: Endpoint, to: Endpoint, connection: Connection, verdict: Verdict, explain: boolean): string {
  const head = `${endpointName(from)} -> ${endpointName(to)} ${connectionText(connection)}: ${verdict.decision}`;
  if (!explain) return `${head}\n`;
  if (verdict.self) return `${head}\n  a pod's traffic to itself is never filtered\n`;
  const lines = [head];
  if (verdict.egress) lines.push(directionText(verdict.egress, from, to, connectionText(connection)));
  else lines.push(`  ${endpointName(from)} is outside the cluster's pods: no NetworkPolicy filters what it sends`);
  if (verdict.ingress) lines.push(directionText(verdict.ingress, to, from, connectionText(connection)));
  else lines.push(`  ${endpointName(to)} is outside the cluster's pods: no NetworkPolicy filters what it receives`);
  return `${lines.join('\n')}\n`;
}
