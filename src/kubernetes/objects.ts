// Built-in Kubernetes object types, as far as Palisade reads or writes them (the shapes of apply
// configurations: only the fields Palisade sets or reads).

/** The label the API server sets on every namespace, to its name: the one a tenant cannot set. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** The recommended label of who manages an object: `palisade` on everything Palisade generates. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyPort {
  protocol: string;
  port?: number;
  endPort?: number;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean }[];
}

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

export interface RoleBinding {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding';
  metadata: ObjectMeta;
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole'; name: string };
  subjects: { kind: string; name: string; namespace?: string; apiGroup?: string }[];
}

/** sigs.k8s.io/network-policy-api's ClusterNetworkPolicy (v1beta1; v1alpha2 has the same schema). */
export interface ClusterNetworkPolicyPeer {
  namespaces?: LabelSelector;
  pods?: { namespaceSelector: LabelSelector; podSelector: LabelSelector };
  networks?: string[];
}

export type PortMatch = { number: number } | { range: { start: number; end: number } };
export type ClusterNetworkPolicyProtocol = { tcp: { destinationPort: PortMatch } } | { udp: { destinationPort: PortMatch } } | { sctp: { destinationPort: PortMatch } };

interface ClusterNetworkPolicyRule {
  name: string;
  action: 'Accept' | 'Deny' | 'Pass';
  /** None: every protocol and port. */
  protocols?: ClusterNetworkPolicyProtocol[];
}

export interface ClusterNetworkPolicy {
  apiVersion: string;
  kind: 'ClusterNetworkPolicy';
  metadata: Omit<ObjectMeta, 'namespace'>;
  spec: {
    tier: 'Admin' | 'Baseline';
    priority: number;
    subject: { namespaces: LabelSelector } | { pods: { namespaceSelector: LabelSelector; podSelector: LabelSelector } };
    ingress?: (ClusterNetworkPolicyRule & { from: ClusterNetworkPolicyPeer[] })[];
    egress?: (ClusterNetworkPolicyRule & { to: ClusterNetworkPolicyPeer[] })[];
  };
}
