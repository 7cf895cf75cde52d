// ClusterRingfence: guardrails above every tenant's own NetworkPolicies, as ClusterNetworkPolicies
// (sigs.k8s.io/network-policy-api): what no one with access to a namespace can loosen from inside it.
import { readyColumn, type KindDefinition } from './crd.ts';
import { dnsResolvers, peers } from './peer.ts';
import {
  Type, type Static, SELECTOR_IS_NOT_EMPTY, cel, conditions, labelKey, labelSelector, observedGeneration, plannedObjects, stringEnum, stringSet,
} from './schema.ts';

// ClusterNetworkPolicy allows 25 rules a direction, and 25 ports a rule.
const MAX_ALLOW = 25;
const MAX_PORTS = 25;
const PODS_ALONE = 'nowhere: name the namespaces too';

const allowPorts = { rule: `self.all(peer, !has(peer.ports) || size(peer.ports) <= ${MAX_PORTS})`, message: `a ClusterNetworkPolicy rule matches at most ${MAX_PORTS} ports` };
// A podSelector alone would match pods of every namespace: anyone who may label a pod anywhere could
// take the Accept (in a NamespaceRingfence it means the ringfence's own namespace).
const podsWithNamespaces = {
  rule: 'self.all(peer, !has(peer.podSelector) || has(peer.namespaces) || has(peer.namespaceSelector))',
  message: 'a podSelector needs namespaces or namespaceSelector beside it: alone it would match pods of every namespace',
};

const allow = Type.Object({
  to: peers(PODS_ALONE, {
    maxItems: MAX_ALLOW,
    description: 'Where every selected pod may connect, whatever its namespace\'s NetworkPolicies say (Accept). '
      + 'The cloud metadata address stays denied: its rule comes first.',
    ...cel(allowPorts, podsWithNamespaces, {
      // ClusterNetworkPolicy's networks are CIDRs alone.
      rule: 'self.all(peer, !has(peer.ipBlock) || !has(peer.ipBlock.except))',
      message: 'a ClusterNetworkPolicy network has no except: list the CIDRs to allow instead',
    }),
  }),
  from: peers(PODS_ALONE, {
    maxItems: MAX_ALLOW,
    description: 'Who may connect to every selected pod, whatever its namespace\'s NetworkPolicies say (Accept).',
    ...cel(allowPorts, podsWithNamespaces, {
      rule: 'self.all(peer, !has(peer.ipBlock))',
      message: 'ClusterNetworkPolicy matches ingress from pods only: an ipBlock cannot be a source',
    }),
  }),
}, { description: 'Traffic no tenant policy can deny: DNS resolvers, monitoring, ingress controllers.' });

const spec = Type.Object({
  mode: Type.Optional(stringEnum(['Enforce', 'DryRun'], {
    default: 'Enforce',
    description: 'Enforce applies the generated ClusterNetworkPolicies; DryRun only lists them in status.',
  })),
  namespaceSelector: labelSelector({
    description: 'The tenant namespaces, by label. Use labels tenants cannot set on their namespaces; it must not be empty.',
    ...cel({ rule: SELECTOR_IS_NOT_EMPTY, message: 'namespaceSelector must have matchLabels or matchExpressions' }),
  }),
  tenantLabel: Type.Optional(labelKey({
    description: 'The namespace label whose value names the tenant: namespaces sharing a value form one tenant. '
      + 'A selected namespace without it, or every one when this is unset, is a tenant of its own.',
  })),
  priority: Type.Optional(Type.Integer({
    minimum: 0, maximum: 74, default: 0,
    description: 'The slot of the operator\'s priority band its policies take: a lower slot is evaluated first. '
      + 'Two ClusterRingfences cannot share one (the younger reports Conflict). The default band (100-399) has 75 slots; '
      + 'an operator given a narrower one reports InvalidSpec for a slot past it.',
  })),
  guardrails: Type.Optional(Type.Object({
    blockCloudMetadata: Type.Optional(Type.Boolean({
      default: true,
      description: 'Deny 169.254.169.254/32 and fd00:ec2::254/128, every protocol and port. Where the metadata address is '
        + 'the DNS resolver (GKE\'s Cloud DNS), list it under dns.resolvers: its port 53 stays open.',
    })),
    dns: Type.Optional(Type.Object({
      enabled: Type.Optional(Type.Boolean({ default: true, description: 'Accept DNS (UDP and TCP 53) to kube-dns in kube-system and the resolvers, before the metadata Deny.' })),
      resolvers: dnsResolvers(),
    }, { default: {} })),
    isolateTenants: Type.Optional(Type.Boolean({
      default: false,
      description: 'Pass traffic within a tenant to its own NetworkPolicies, and deny traffic between tenants.',
    })),
    allow: Type.Optional(allow),
  }, { default: {}, description: 'The Admin tier: evaluated before any NetworkPolicy, so no tenant can override it.' })),
  defaults: Type.Optional(Type.Object({
    denyAll: Type.Optional(Type.Boolean({
      default: false,
      description: 'Deny what no NetworkPolicy of the namespace decides: traffic to anywhere, and from the cluster\'s pods. '
        + 'Traffic from outside the cluster cannot be matched by a ClusterNetworkPolicy.',
    })),
  }, { default: {}, description: 'The Baseline tier: what applies where the namespace\'s own NetworkPolicies decide nothing.' })),
});
export type ClusterRingfenceSpec = Static<typeof spec>;

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  apiVersion: Type.Optional(Type.String({ description: 'The ClusterNetworkPolicy version served here, which the policies are written in.' })),
  adminPriorities: Type.Optional(Type.String({ description: 'The Admin tier priorities its policies take, e.g. 100-103.' })),
  baselinePriority: Type.Optional(Type.Integer({ minimum: 0, description: 'The Baseline tier priority of its policy.' })),
  namespaceCount: Type.Optional(Type.Integer({ minimum: 0, description: 'The namespaces it selects.' })),
  tenantCount: Type.Optional(Type.Integer({ minimum: 0 })),
  policyCount: Type.Optional(Type.Integer({ minimum: 0 })),
  clusterNetworkPolicies: Type.Optional(stringSet(Type.String(), { description: 'The ClusterNetworkPolicies it applied.' })),
  planned: Type.Optional(plannedObjects()),
});
export type ClusterRingfenceStatus = Static<typeof status>;

export const clusterRingfence: KindDefinition = {
  kind: 'ClusterRingfence',
  plural: 'clusterringfences',
  shortNames: ['crf'],
  scope: 'Cluster',
  description: 'Guardrails over tenant namespaces that their own NetworkPolicies cannot override, as ClusterNetworkPolicies '
    + '(Admin tier) with defaults where a namespace has none (Baseline tier).',
  spec,
  status,
  conditions: [
    { type: 'Ready', meaning: 'Every generated ClusterNetworkPolicy is applied as the spec says (False: Unsupported, Conflict, InvalidSpec, or an apply failed).' },
  ],
  printerColumns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    readyColumn,
    { name: 'Namespaces', type: 'integer', jsonPath: '.status.namespaceCount' },
    { name: 'Tenants', type: 'integer', jsonPath: '.status.tenantCount' },
    { name: 'Policies', type: 'integer', jsonPath: '.status.policyCount' },
    { name: 'Priorities', type: 'string', jsonPath: '.status.adminPriorities' },
  ],
  objectRules: [{
    rule: 'size(self.metadata.name) <= 63',
    message: 'metadata.name must be at most 63 characters: the generated objects carry it as a label value',
  }],
};
