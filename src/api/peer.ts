// The peer model both ringfence kinds write: namespaces by name or label, pods by label, CIDRs,
// and the ports a rule opens. Each kind's generated policies read it through src/network/.
import { Type, type Static, cel, cidr, labelSelector, namespaceName, stringEnum, stringSet } from './schema.ts';

const port = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  endPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The last port of a range that starts at port.' })),
  protocol: Type.Optional(stringEnum(['TCP', 'UDP', 'SCTP'], { default: 'TCP' })),
}, cel({ rule: '!has(self.endPort) || self.endPort >= self.port', message: 'endPort must not be below port', fieldPath: '.endPort' }));
export type PeerPort = Static<typeof port>;

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

/** A peer; `podsAlone` says where a podSelector without namespaces looks for its pods. */
export const peer = (podsAlone: string) => Type.Object({
  namespaces: Type.Optional(stringSet(namespaceName(), {
    minItems: 1, maxItems: 64,
    description: 'Namespaces by name, matched on the kubernetes.io/metadata.name label that only Kubernetes sets.',
  })),
  namespaceSelector: Type.Optional(labelSelector({ description: 'Namespaces by label. Tenants may be able to set these labels: prefer namespaces.' })),
  podSelector: Type.Optional(labelSelector({ description: `Pods by label, in the selected namespaces or, without them, ${podsAlone}.` })),
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
export type Peer = Static<ReturnType<typeof peer>>;

/** A list of peers; `options` may narrow it (maxItems, CEL rules). */
export const peers = (podsAlone: string, options: Record<string, unknown> & { description: string }) =>
  Type.Optional(Type.Array(peer(podsAlone), { maxItems: 64, ...options }));

/** Resolvers beyond kube-dns, on port 53 only. */
export const dnsResolvers = () => Type.Optional(stringSet(cidr(), {
  maxItems: 8,
  description: 'More resolvers, on port 53 only: 169.254.20.10/32 for NodeLocal DNSCache, 169.254.169.254/32 for GKE Cloud DNS.',
}));
