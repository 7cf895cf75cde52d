// A verdict in words: for each direction, the tiers it went through (a ClusterNetworkPolicy rule
// that accepted, denied or passed it, or that no rule of a tier matched), and the rule that
// allowed it, or that the pod is isolated and nothing allowed it; a rule a ringfence generated is
// named by the ringfence and spec field.
import { endpointName } from './endpoints.ts';
import type { ClusterRuleRef, Connection, Direction, DirectionVerdict, Endpoint, Origin, RuleRef, TierStep, Verdict } from './types.ts';

const originText = (origin: Origin | undefined) => (origin ? ` (${origin.object}${origin.field ? ` ${origin.field}` : ''})` : '');

/** spec.egress[1].to[0]: a rule, and the peer of it that matched. */
function fieldText(direction: Direction, rule: number, peer: number | undefined): string {
  const [field, peers] = direction === 'Ingress' ? ['ingress', 'from'] : ['egress', 'to'];
  return `spec.${field}[${rule}]${peer === undefined ? '' : `.${peers}[${peer}]`}`;
}

const ruleText = (ref: RuleRef) =>
  `NetworkPolicy ${ref.policy.namespace}/${ref.policy.name} ${fieldText(ref.direction, ref.rule, ref.peer)}${originText(ref.origin)}`;

/** Admin ClusterNetworkPolicy tenants spec.egress[1].to[0] "deny-other-tenants" (Deny). */
const clusterRuleText = (ref: ClusterRuleRef) =>
  `${ref.tier} ClusterNetworkPolicy ${ref.policy} ${fieldText(ref.direction, ref.rule, ref.peer)}${ref.name ? ` "${ref.name}"` : ''} (${ref.action})${originText(ref.origin)}`;

/** The isolating policies, those of one ringfence together: "NamespaceRingfence a/b (its NetworkPolicies x, y)". */
function isolationText(isolatedBy: DirectionVerdict['isolatedBy']): string {
  const groups = new Map<string, string[]>();
  for (const { policy, origin } of isolatedBy) {
    const key = origin ? origin.object : `NetworkPolicy ${policy.namespace}/${policy.name}`;
    groups.set(key, [...(groups.get(key) ?? []), policy.name]);
  }
  return [...groups].map(([key, names]) => (key.startsWith('NetworkPolicy ') ? key : `${key} (its NetworkPolicies ${names.join(', ')})`)).join(', ');
}

/** What the NetworkPolicies decided, where they isolate the pod. */
function policiesText(verdict: DirectionVerdict, other: Endpoint, connection: string): string {
  if (verdict.decision === 'allowed') return `allowed by ${verdict.allowedBy.map(ruleText).join('; ')}`;
  const excepted = verdict.exceptedBy.length > 0 ? `; ${verdict.exceptedBy.map(ruleText).join('; ')} would, but its ipBlock excepts the address` : '';
  const nothing = `isolated by ${isolationText(verdict.isolatedBy)}, and no rule allows ${connection} ${verdict.direction === 'Egress' ? 'to' : 'from'} ${endpointName(other)}${excepted}`;
  if (verdict.decision === 'denied') return `denied: ${nothing}`;
  return `undetermined: ${nothing}, but ${verdict.undeterminedBy.map(ruleText).join('; ')} holds its IP, `
    + 'and whether an ipBlock matches a pod\'s IP is left to the network plugin';
}

const clusterPolicyNames = (names: readonly string[] = []) => `ClusterNetworkPolic${names.length === 1 ? 'y' : 'ies'} ${names.join(', ')}`;

/** An Admin or Baseline step: the rule that decided or passed, or that none matched. */
function clusterStepText(step: TierStep, other: Endpoint): string {
  const decided = step.outcome === 'pass' ? '' : `${step.outcome} by `;
  const rule = step.rule ? `${decided}${clusterRuleText(step.rule)}` : `no rule of the ${step.tier} tier (${clusterPolicyNames(step.policies)}) matches`;
  if (!step.unknownAddress) return rule;
  return `${rule} (the IP of ${endpointName(other)} is not known: taken as outside the networks of ${step.unknownAddress.map(clusterRuleText).join('; ')})`;
}

function stepText(step: TierStep, last: boolean, verdict: DirectionVerdict, other: Endpoint, connection: string): string {
  if (step.tier !== 'NetworkPolicy') return clusterStepText(step, other);
  if (step.outcome !== 'pass') return policiesText(verdict, other, connection);
  return `${last ? 'allowed: ' : ''}no NetworkPolicy selects it for ${verdict.direction}`;
}

/** The tiers one after the other, "→" where one passes the connection to the next. */
function directionText(verdict: DirectionVerdict, pod: Endpoint, other: Endpoint, connection: string): string {
  const side = `${verdict.direction.toLowerCase()} of ${endpointName(pod)}`;
  const steps = verdict.tiers.map((step, index) => stepText(step, index === verdict.tiers.length - 1, verdict, other, connection));
  const last = verdict.tiers.at(-1);
  if (last?.tier !== 'NetworkPolicy' && last?.outcome === 'pass') steps.push('allowed: no tier decides it');
  return `  ${side}: ${steps.join(' → ')}`;
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
