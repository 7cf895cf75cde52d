// PodSecurityBaseline: Pod Security Admission labels for every selected namespace, rolled out safely.
// Defined with the evaluator, which a scan loads without typebox.
import { PSA_LEVELS, PSA_MODES } from '../podsecurity/types.ts';
import { readyColumn, type KindDefinition } from './crd.ts';
import {
  Type, type Static, SELECTOR_IS_NOT_EMPTY, cel, conditions, labelSelector, namespaceName, observedGeneration,
  stringEnum, stringSet,
} from './schema.ts';

const levelVersion = (mode: string) => Type.Object({
  level: stringEnum(PSA_LEVELS, { description: 'The Pod Security Standard to apply.' }),
  version: Type.Optional(Type.String({
    default: 'latest',
    pattern: '^(latest|v[1-9][0-9]*\\.(0|[1-9][0-9]*))$',
    maxLength: 16,
    description: 'The Kubernetes minor version whose definition of the level applies: latest or vMAJOR.MINOR, e.g. v1.36.',
  })),
}, { description: `The pod-security.kubernetes.io/${mode} and ${mode}-version labels.` });

const spec = Type.Object({
  namespaceSelector: Type.Optional(labelSelector({
    description: 'Namespaces by label; it must not be empty (an empty selector would select every namespace).',
    ...cel({ rule: SELECTOR_IS_NOT_EMPTY, message: 'namespaceSelector must have matchLabels or matchExpressions' }),
  })),
  namespaces: Type.Optional(stringSet(namespaceName(), { minItems: 1, maxItems: 1024, description: 'Namespaces by name.' })),
  excludeNamespaces: Type.Optional(stringSet(namespaceName(), {
    maxItems: 1024,
    description: 'Never labelled. kube-system, kube-public, kube-node-lease and the operator\'s namespace are excluded unless listed under namespaces.',
  })),
  enforce: levelVersion('enforce'),
  audit: Type.Optional(levelVersion('audit')),
  warn: Type.Optional(levelVersion('warn')),
  rollout: Type.Optional(stringEnum(['AuditFirst', 'Immediate'], {
    default: 'AuditFirst',
    description: 'AuditFirst enforces in a namespace only once no pod there violates; Immediate enforces at once.',
  })),
}, cel({
  rule: 'has(self.namespaceSelector) || has(self.namespaces)',
  message: 'select namespaces with namespaceSelector, namespaces, or both',
}));
export type PodSecurityBaselineSpec = Static<typeof spec>;

const violation = Type.Object({
  namespace: Type.String(),
  total: Type.Integer({ minimum: 0, description: 'All violating pods in the namespace.' }),
  pods: Type.Array(Type.Object({
    name: Type.String(),
    checks: Type.Array(Type.String(), { description: 'The Pod Security checks the pod fails, by check ID as palisade scan names them (pss/privileged).' }),
  }), { maxItems: 10, description: 'The first violating pods, by name.' }),
});

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  matchedNamespaces: Type.Optional(Type.Integer({ minimum: 0 })),
  enforcedNamespaces: Type.Optional(Type.Integer({ minimum: 0 })),
  pendingNamespaces: Type.Optional(Type.Integer({ minimum: 0, description: 'Matched namespaces where enforcement waits for violations to go.' })),
  violatingPods: Type.Optional(Type.Integer({ minimum: 0 })),
  violations: Type.Optional(Type.Array(violation, { maxItems: 100, description: 'Namespaces with pods that violate the enforce level: held back under AuditFirst, running on under Immediate until they go (the first 100).' })),
  overridden: Type.Optional(Type.Array(Type.Object({
    namespace: Type.String(),
    mode: stringEnum(PSA_MODES),
    by: Type.String({ description: 'The stricter PodSecurityBaseline that wins there.' }),
  }), { maxItems: 100, description: 'Namespaces and modes where another baseline sets a stricter level (the first 100).' })),
});
export type PodSecurityBaselineStatus = Static<typeof status>;

export const podSecurityBaseline: KindDefinition = {
  kind: 'PodSecurityBaseline',
  plural: 'podsecuritybaselines',
  shortNames: ['psb'],
  scope: 'Cluster',
  description: 'Sets and keeps the Pod Security Admission labels on selected namespaces, enforcing only where nothing running would break.',
  spec,
  status,
  conditions: [
    { type: 'Ready', meaning: 'Every matched namespace has its labels, enforce included.' },
    { type: 'Progressing', meaning: 'Enforcement waits somewhere for violating pods to go (AuditFirst).' },
    { type: 'Degraded', meaning: 'A matched namespace could not be labelled (the message names it and the error).' },
  ],
  printerColumns: [
    { name: 'Enforce', type: 'string', jsonPath: '.spec.enforce.level' },
    { name: 'Matched', type: 'integer', jsonPath: '.status.matchedNamespaces' },
    { name: 'Enforced', type: 'integer', jsonPath: '.status.enforcedNamespaces' },
    { name: 'Violations', type: 'integer', jsonPath: '.status.violatingPods' },
    readyColumn,
  ],
};
