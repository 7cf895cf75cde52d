// Decides whether a connection is allowed under a set of NetworkPolicies, written from the
// Kubernetes NetworkPolicy semantics (networking.k8s.io/v1 reference and concepts page), not from
// Palisade's generator, so that tests can judge the generator's output by what it lets through.
import { BlockList, isIPv4 } from 'node:net';

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface Port {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface Policy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: Port[] }[];
    egress?: { to?: Peer[]; ports?: Port[] }[];
  };
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface Pod {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  /** Its containers' ports, which named ports in policies resolve against. */
  ports?: ContainerPort[];
}

/** A pod (namespace, labels and IP) or an address outside the cluster (IP only). */
export type Endpoint = { pod: Pod } | { ip: string };

export interface Cluster {
  /** Namespace name → its labels (kubernetes.io/metadata.name included, as the API server sets it). */
  namespaces: Record<string, Record<string, string>>;
  policies: Policy[];
}

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return byLabel && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]!);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: throw new Error(`unknown selector operator ${operator}`);
    }
  });
}

function inBlock(ip: string, cidr: string): boolean {
  const [network = '', prefix = ''] = cidr.split('/');
  if (isIPv4(network) !== isIPv4(ip)) return false;
  const block = new BlockList();
  const type = isIPv4(network) ? 'ipv4' : 'ipv6';
  block.addSubnet(network, Number(prefix), type);
  return block.check(ip, type);
}

function types(policy: Policy): string[] {
  // Without policyTypes a policy is for Ingress, and for Egress too if it has egress rules: the API
  // server adds Egress for a non-empty list only, so `egress: []` isolates nothing.
  return policy.spec.policyTypes?.length ? policy.spec.policyTypes : ['Ingress', ...(policy.spec.egress?.length ? ['Egress'] : [])];
}

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint, cluster: Cluster): boolean {
  if (peer.ipBlock) {
    const { cidr, except = [] } = peer.ipBlock;
    const ip = 'pod' in other ? other.pod.ip : other.ip;
    return inBlock(ip, cidr) && !except.some((cut) => inBlock(ip, cut));
  }
  if (!('pod' in other)) return false;
  const { namespace, labels } = other.pod;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, cluster.namespaces[namespace] ?? {})
    : namespace === policyNamespace;
  return namespaceOk && selects(peer.podSelector, labels);
}

/** A named port is the destination pod's container port of that name and protocol. */
function portMatches(ports: Port[] | undefined, port: number, protocol: string, destination: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  const named = (name: string) => ('pod' in destination ? destination.pod.ports ?? [] : [])
    .some((p) => p.name === name && (p.protocol ?? 'TCP') === protocol && p.containerPort === port);
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined
    || (typeof p.port === 'string' ? named(p.port) : p.endPort ? port >= p.port && port <= p.endPort : port === p.port)));
}

/** Is `pod` allowed to send (direction Egress) to, or receive (Ingress) from, `other` on port/protocol? */
function allowedAt(pod: Pod, direction: 'Ingress' | 'Egress', other: Endpoint, port: number, protocol: string, cluster: Cluster): boolean {
  const isolating = cluster.policies.filter((policy) =>
    policy.metadata.namespace === pod.namespace && selects(policy.spec.podSelector, pod.labels) && types(policy).includes(direction));
  if (isolating.length === 0) return true;
  return isolating.some((policy) => {
    const rules = direction === 'Ingress'
      ? (policy.spec.ingress ?? []).map((rule) => ({ peers: rule.from, ports: rule.ports }))
      : (policy.spec.egress ?? []).map((rule) => ({ peers: rule.to, ports: rule.ports }));
    const destination = direction === 'Ingress' ? { pod } : other;
    return rules.some(({ peers, ports }) =>
      portMatches(ports, port, protocol, destination) && (!peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, policy.metadata.namespace, other, cluster))));
  });
}

/** A connection is allowed when the source may send it and the destination may receive it. */
export function allowed(cluster: Cluster, from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const egressOk = 'pod' in from ? allowedAt(from.pod, 'Egress', to, port, protocol, cluster) : true;
  const ingressOk = 'pod' in to ? allowedAt(to.pod, 'Ingress', from, port, protocol, cluster) : true;
  return egressOk && ingressOk;
}
