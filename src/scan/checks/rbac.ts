// RBAC that hands out more than it seems to: cluster-admin, wildcards, exec into pods, reading
// Secrets, the verbs that grant further permissions, and bindings to everyone.
import type { FieldPath } from '../../api/manifest-lines.ts';
import { PALISADE_RULES as R } from '../rules.ts';
import type { Check, Issue } from './check.ts';

interface PolicyRule {
  apiGroups?: string[] | null;
  resources?: string[] | null;
  resourceNames?: string[] | null;
  verbs?: string[] | null;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const isRbac = (apiVersion: string, kinds: string[], kind: string) => apiVersion.startsWith(`${RBAC_GROUP}/`) && kinds.includes(kind);

const READ_VERBS = ['get', 'list', 'watch', '*'];
const EXEC_VERBS = ['create', 'get', '*'];
const ESCALATING_VERBS = ['escalate', 'bind', 'impersonate'];
const EVERYONE = ['system:anonymous', 'system:unauthenticated', 'system:authenticated', 'system:serviceaccounts'];
/** Running commands in pods: directly, or through the kubelet's API (nodes/proxy reaches every pod on a node). */
const EXEC_RESOURCES = ['pods/exec', 'pods/attach', 'nodes/proxy'];

const inCoreGroup = (rule: PolicyRule) => (rule.apiGroups ?? []).some((group) => group === '' || group === '*');

// RBAC's ResourceMatches: the resource itself, a star, or a star and the subresource ("*" then "/exec").
const matchesResource = (written: string, resource: string) =>
  written === '*' || written === resource || (written.startsWith('*/') && resource.endsWith(written.slice(1)));

const grants = (rule: PolicyRule, resources: string[], verbs: string[]) => inCoreGroup(rule)
  && (rule.resources ?? []).some((written) => resources.some((resource) => matchesResource(written, resource)))
  && (rule.verbs ?? []).some((verb) => verbs.includes(verb));

const named = (rule: PolicyRule) => (rule.resourceNames?.length ? ` named ${rule.resourceNames.join(', ')}` : '');

function ruleIssues(rule: PolicyRule, path: FieldPath): Issue[] {
  const issues: Issue[] = [];
  const wildcards = (['verbs', 'resources'] as const).filter((field) => (rule[field] ?? []).includes('*'));
  if (wildcards.length > 0) issues.push({ rule: R.wildcard, message: `rule grants * in ${wildcards.join(' and ')}`, path: [...path, wildcards[0]!] });
  const escalating = (rule.verbs ?? []).filter((verb) => ESCALATING_VERBS.includes(verb));
  if (escalating.length > 0) issues.push({ rule: R.escalation, message: `rule grants ${escalating.join(', ')}`, path: [...path, 'verbs'] });
  if (grants(rule, EXEC_RESOURCES, EXEC_VERBS)) issues.push({ rule: R.podsExec, message: `rule grants exec or attach into pods, or the kubelet's API${named(rule)}`, path });
  if (grants(rule, ['secrets'], READ_VERBS)) issues.push({ rule: R.secretsRead, message: `rule reads Secrets${named(rule)}`, path });
  return issues;
}

export const roleRules: Check = (subject) => {
  const { apiVersion, kind } = subject.value;
  if (!isRbac(apiVersion, ['Role', 'ClusterRole'], kind)) return undefined;
  const rules = (subject.value.rules ?? []) as PolicyRule[];
  return {
    rules: [R.wildcard, R.escalation, R.podsExec, R.secretsRead],
    issues: rules.flatMap((rule, index) => ruleIssues(rule, ['rules', index])),
  };
};

interface BindingSubject {
  kind?: string;
  name?: string;
}

export const bindings: Check = (subject) => {
  const { apiVersion, kind } = subject.value;
  if (!isRbac(apiVersion, ['RoleBinding', 'ClusterRoleBinding'], kind)) return undefined;
  const roleRef = (subject.value.roleRef ?? {}) as { kind?: string; name?: string };
  const issues: Issue[] = [];
  if (roleRef.kind === 'ClusterRole' && roleRef.name === 'cluster-admin') issues.push({ rule: R.clusterAdmin, message: `${kind} grants cluster-admin`, path: ['roleRef'] });
  ((subject.value.subjects ?? []) as BindingSubject[]).forEach((bound, index) => {
    if ((bound.kind === 'Group' || bound.kind === 'User') && EVERYONE.includes(bound.name ?? '')) {
      issues.push({ rule: R.broadSubject, message: `${kind} binds ${bound.kind} ${bound.name}`, path: ['subjects', index] });
    }
  });
  return { rules: [R.clusterAdmin, R.broadSubject], issues };
};
