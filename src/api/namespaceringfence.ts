// NamespaceRingfence: the NetworkPolicies and RoleBindings that fence one namespace in.
import { readyColumn, type KindDefinition } from './crd.ts';
import { dnsResolvers, peers as sharedPeers } from './peer.ts';
import { Type, type Static, DNS1123_SUBDOMAIN, cel, conditions, namespaceName, observedGeneration, plannedObjects, stringEnum, stringSet } from './schema.ts';
import { CLOUD_METADATA_CIDRS } from '../network/cloud-metadata.ts';

const peers = (description: string) => sharedPeers('in this namespace', { description });

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
      resolvers: dnsResolvers(),
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

const status = Type.Object({
  observedGeneration: Type.Optional(observedGeneration()),
  conditions: Type.Optional(conditions()),
  networkPolicies: Type.Optional(stringSet(Type.String(), { description: 'The NetworkPolicies this ringfence applied.' })),
  roleBindings: Type.Optional(stringSet(Type.String(), { description: 'The RoleBindings this ringfence applied.' })),
  policyCount: Type.Optional(Type.Integer({ minimum: 0 })),
  bindingCount: Type.Optional(Type.Integer({ minimum: 0 })),
  missingNamespaces: Type.Optional(stringSet(Type.String(), { description: 'Peer namespaces that do not exist (yet); their rules are in place.' })),
  planned: Type.Optional(plannedObjects()),
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
