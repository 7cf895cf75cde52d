// NamespaceRingfence: the NetworkPolicies and RoleBindings that fence one namespace in.
import { readyColumn, type KindDefinition } from './crd.ts';
import {
  Type, type Static, DNS1123_SUBDOMAIN, cel, cidr, conditions, keyedList, labelSelector, namespaceName, observedGeneration,
  stringEnum, stringSet,
} from './schema.ts';
import { CLOUD_METADATA_CIDRS } from '../network/cloud-metadata.ts';

const port = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  endPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The last port of a range that starts at port.' })),
  protocol: Type.Optional(stringEnum(['TCP', 'UDP', 'SCTP'], { default: 'TCP' })),
}, cel({ rule: '!has(self.endPort) || self.endPort >= self.port', message: 'endPort must not be below port', fieldPath: '.endPort' }));

// NetworkPolicy refuses an except entry that is not a strict subset of cidr: outside it, or as wide as it.
const ipBlock = Type.Object({
  cidr: cidr(),
  except: Type.Optional(stringSet(cidr(), { maxItems: 32, description: 'CIDRs inside cidr, each narrower than it, to leave out.' })),
}, cel({
  rule: '!isCIDR(self.cidr) || !has(self.except) || self.except.all(e, !isCIDR(e) '
    + '|| (cidr(self.cidr).containsCIDR(e) && cidr(e).prefixLength() > cidr(self.cidr).prefixLength()))',
  message: 'every except entry must lie inside cidr and be narrower than it',
  fieldPath: '.except',
}));

const peer = Type.Object({
  namespaces: Type.Optional(stringSet(namespaceName(), {
    minItems: 1, maxItems: 64,
    description: 'Namespaces by name, matched on the kubernetes.io/metadata.name label that only Kubernetes sets.',
  })),
  namespaceSelector: Type.Optional(labelSelector({ description: 'Namespaces by label. Tenants may be able to set these labels: prefer namespaces.' })),
  podSelector: Type.Optional(labelSelector({ description: 'Pods by label, in the selected namespaces or, without them, in this namespace.' })),
  ipBlock: Type.Optional(ipBlock),
  ports: Type.Optional(Type.Array(port, { maxItems: 32, description: 'Ports the rule opens; all ports when empty.' })),
}, cel(
  {
    rule: '!(has(self.namespaces) && has(self.namespaceSelector))',
    message: 'set namespaces or namespaceSelector, not both',
  },
  {
    rule: '!has(self.ipBlock) || !(has(self.namespaces) || has(self.namespaceSelector) || has(self.podSelector))',
    message: 'ipBlock cannot be combined with namespaces, namespaceSelector or podSelector',
  },
  {
    rule: 'has(self.namespaces) || has(self.namespaceSelector) || has(self.podSelector) || has(self.ipBlock)',
    message: 'a peer needs namespaces, namespaceSelector, podSelector or ipBlock',
  },
));
export type Peer = Static<typeof peer>;

const peers = (description: string) => Type.Optional(Type.Array(peer, { maxItems: 64, description }));

const subject = Type.Object({
  kind: stringEnum(['User', 'Group', 'ServiceAccount']),
  name: Type.String({ minLength: 1, maxLength: 253 }),
  namespace: Type.Optional(namespaceName({ description: 'The ServiceAccount\'s namespace; only for kind ServiceAccount.' })),
}, cel(
  {
    rule: "self.kind == 'ServiceAccount' ? has(self.namespace) : !has(self.namespace)",
    message: 'namespace is required for a ServiceAccount and not allowed for a User or Group',
    fieldPath: '.namespace',
  },
  {
    // RoleBinding validation: a ServiceAccount's name is an object name; Users and Groups may be named anything.
    rule: `self.kind != 'ServiceAccount' || self.name.matches(r'${DNS1123_SUBDOMAIN}')`,
    message: 'a ServiceAccount\'s name must be a lowercase RFC 1123 subdomain',
    fieldPath: '.name',
  },
));
export type Subject = Static<typeof subject>;

const subjects = (role: string) => Type.Optional(Type.Array(subject, {
  maxItems: 64, description: `Bound to the built-in ${role} ClusterRole in this namespace.`,
}));

const spec = Type.Object({
  mode: Type.Optional(stringEnum(['Enforce', 'DryRun'], {
    default: 'Enforce',
    description: 'Enforce applies the generated objects; DryRun only reports them in status.',
  })),
  ingress: Type.Optional(Type.Object({
    allowSameNamespace: Type.Optional(Type.Boolean({ default: true })),
    from: peers('Who else may connect to pods in this namespace.'),
  }, { default: {}, description: 'Traffic into the namespace: everything not allowed here is denied.' })),
  egress: Type.Optional(Type.Object({
    allowSameNamespace: Type.Optional(Type.Boolean({ default: true })),
    dns: Type.Optional(Type.Object({
      enabled: Type.Optional(Type.Boolean({ default: true, description: 'Allow DNS (UDP and TCP 53) to kube-dns in kube-system.' })),
      resolvers: Type.Optional(stringSet(cidr(), {
        maxItems: 8,
        description: 'More resolvers, on port 53 only: 169.254.20.10/32 for NodeLocal DNSCache, 169.254.169.254/32 for GKE Cloud DNS.',
      })),
    }, { default: {} })),
    blockCloudMetadata: Type.Optional(Type.Boolean({
      default: true,
      description: 'Cut 169.254.169.254/32 and fd00:ec2::254/128 out of every egress ipBlock (resolvers keep port 53).',
    })),
    to: peers('Where pods in this namespace may connect to.'),
  }, {
    default: {},
    description: 'Traffic out of the namespace: everything not allowed here is denied.',
    ...cel({
      // blockCloudMetadata is always there: it has a default. render refuses such a peer, so admission
      // does. == rather than !=: the API server's cost estimate knows CIDR equality is cheap, not inequality.
      rule: `!self.blockCloudMetadata || !has(self.to) || self.to.all(peer, !has(peer.ipBlock) || !isCIDR(peer.ipBlock.cidr) || !(${
        CLOUD_METADATA_CIDRS.map((address) => `cidr(peer.ipBlock.cidr) == cidr('${address}')`).join(' || ')}))`,
      message: `an ipBlock that is only the cloud metadata address (${CLOUD_METADATA_CIDRS.join(', ')}) needs blockCloudMetadata: false`,
      fieldPath: '.to',
    }),
  })),
  access: Type.Optional(Type.Object({
    admins: subjects('admin'),
    editors: subjects('edit'),
    viewers: subjects('view'),
  }, { description: 'Who may work in the namespace. Adding subjects needs what creating their RoleBinding directly needs: create on RoleBindings here, and bind on the ClusterRole or every permission it grants.' })),
});
export type NamespaceRingfenceSpec = Static<typeof spec>;

const objectRef = Type.Object({ kind: Type.String({ maxLength: 63 }), name: Type.String({ maxLength: 253 }) });

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  networkPolicies: Type.Optional(stringSet(Type.String(), { description: 'The NetworkPolicies this ringfence applied.' })),
  roleBindings: Type.Optional(stringSet(Type.String(), { description: 'The RoleBindings this ringfence applied.' })),
  policyCount: Type.Optional(Type.Integer({ minimum: 0 })),
  bindingCount: Type.Optional(Type.Integer({ minimum: 0 })),
  missingNamespaces: Type.Optional(stringSet(Type.String(), { description: 'Peer namespaces that do not exist (yet); their rules are in place.' })),
  planned: Type.Optional(keyedList(objectRef, ['kind', 'name'], { description: 'In DryRun, the objects Enforce would apply.' })),
});
export type NamespaceRingfenceStatus = Static<typeof status>;

export const namespaceRingfence: KindDefinition = {
  kind: 'NamespaceRingfence',
  plural: 'namespaceringfences',
  shortNames: ['ringfence', 'nsrf'],
  scope: 'Namespaced',
  description: 'Fences one namespace in: default-deny NetworkPolicies with the allowed peers, and RoleBindings for who may work there.',
  spec,
  status,
  conditions: [
    { type: 'Ready', meaning: 'Every generated NetworkPolicy and RoleBinding is applied as the spec says (False: Conflict, InvalidSpec, or an apply failed).' },
    { type: 'NetworkPoliciesReady', meaning: 'The NetworkPolicies are applied.' },
    { type: 'AccessReady', meaning: 'The RoleBindings are applied.' },
    { type: 'AccessDrift', meaning: 'Other RoleBindings in the namespace grant access to subjects the ringfence does not list (named in the message; never deleted).' },
  ],
  printerColumns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    readyColumn,
    { name: 'Policies', type: 'integer', jsonPath: '.status.policyCount' },
    { name: 'Bindings', type: 'integer', jsonPath: '.status.bindingCount' },
  ],
  objectRules: [{
    rule: 'size(self.metadata.name) <= 63',
    message: 'metadata.name must be at most 63 characters: the generated objects carry it as a label value',
  }],
};
