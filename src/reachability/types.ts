// The world a reachability question is asked in, and the answers: pure data, no cluster access.
import type { LabelSelector } from '../kubernetes/objects.ts';
import type { Protocol } from './ports.ts';

export type Direction = 'Ingress' | 'Egress';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
}

/** A Pod, or a workload's pod template standing for all of its pods. */
export interface Workload {
  namespace: string;
  /** Pod for a pod; else the workload's kind (Deployment, CronJob...). */
  kind: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The pod's IP when known (a live Pod's status.podIP). */
  ip?: string;
  /** A workload's pods' IPs, when known (a live cluster's Pods, all of their addresses). */
  podIPs?: readonly string[];
  ports: readonly ContainerPort[];
}

export interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface PolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: { cidr: string; except?: string[] | null } | null;
}

interface PolicyRule {
  ports?: PolicyPort[] | null;
}

/** A networking.k8s.io/v1 NetworkPolicy as written: policyTypes may be left to the API server's default. */
export interface NetworkPolicySource {
  metadata: { name: string; namespace: string; labels?: Readonly<Record<string, string>> | null };
  spec: {
    podSelector?: LabelSelector | null;
    policyTypes?: string[] | null;
    ingress?: (PolicyRule & { from?: PolicyPeer[] | null })[] | null;
    egress?: (PolicyRule & { to?: PolicyPeer[] | null })[] | null;
  };
}

/** What a ClusterNetworkPolicy's subject or pods peer selects: every namespace where namespaceSelector is left out. */
export interface NamespacedPodsSource {
  namespaceSelector?: LabelSelector | null;
  podSelector?: LabelSelector | null;
}

/** Exactly one of: all pods of some namespaces, some pods of some namespaces, or (egress alone) CIDRs. */
export interface ClusterPolicyPeerSource {
  namespaces?: LabelSelector | null;
  pods?: NamespacedPodsSource | null;
  networks?: string[] | null;
}

export interface ClusterPolicyPortSource {
  number?: number | null;
  range?: { start?: number | null; end?: number | null } | null;
}

/** One protocols entry: exactly one of tcp, udp or sctp, with its destination port. */
export type ClusterPolicyProtocolSource = Partial<Record<'tcp' | 'udp' | 'sctp', { destinationPort?: ClusterPolicyPortSource | null } | null>>;

interface ClusterPolicyRuleSource {
  name?: string | null;
  action?: string | null;
  protocols?: ClusterPolicyProtocolSource[] | null;
}

/**
 * A policy.networking.k8s.io ClusterNetworkPolicy as written (network-policy-api v0.3.0, standard
 * channel: v1alpha2 and v1beta1 have the same schema). Cluster-scoped.
 */
export interface ClusterNetworkPolicySource {
  metadata: { name: string; labels?: Readonly<Record<string, string>> | null };
  spec: {
    tier?: string | null;
    priority?: number | null;
    subject?: { namespaces?: LabelSelector | null; pods?: NamespacedPodsSource | null } | null;
    ingress?: (ClusterPolicyRuleSource & { from?: ClusterPolicyPeerSource[] | null })[] | null;
    egress?: (ClusterPolicyRuleSource & { to?: ClusterPolicyPeerSource[] | null })[] | null;
  };
}

export type ClusterTier = 'Admin' | 'Baseline';
export type ClusterAction = 'Accept' | 'Deny' | 'Pass';

export interface PolicyRef {
  namespace: string;
  name: string;
}

/** Where a rule was written, when it was not written as a NetworkPolicy: a ringfence's spec field. */
export interface Origin {
  /** Kind namespace/name of the object, e.g. NamespaceRingfence payments/ringfence. */
  object: string;
  /** The spec field the rule comes from; none where the object as a whole isolates the pods. */
  field?: string;
}

/** One rule of one policy, and the peer of it that matched (none: a rule without peers). */
export interface RuleRef {
  policy: PolicyRef;
  direction: Direction;
  rule: number;
  peer?: number;
  origin?: Origin;
}

/** One rule of one ClusterNetworkPolicy, and the peer of it that matched. */
export interface ClusterRuleRef {
  /** The ClusterNetworkPolicy's name: it has no namespace. */
  policy: string;
  tier: ClusterTier;
  priority: number;
  direction: Direction;
  rule: number;
  /** The rule's own name, where it has one. */
  name?: string;
  action: ClusterAction;
  peer: number;
  origin?: Origin;
}

/** Says which object and field produced a policy's rule; undefined for a hand-written policy. */
export type OriginOf = (policy: NetworkPolicySource, direction: Direction, rule?: number, peer?: number) => Origin | undefined;

/** As OriginOf, for a ClusterNetworkPolicy's rule. */
export type ClusterOriginOf = (policy: ClusterNetworkPolicySource, direction: Direction, rule: number, peer: number) => Origin | undefined;

export interface World {
  /** Namespace name → its labels, kubernetes.io/metadata.name among them. */
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  workloads: readonly Workload[];
  policies: readonly NetworkPolicySource[];
  originOf?: OriginOf;
  /** Their Admin tier is evaluated before the NetworkPolicies, their Baseline tier after. */
  clusterPolicies?: readonly ClusterNetworkPolicySource[];
  clusterOriginOf?: ClusterOriginOf;
}

/** An end of a connection: a workload, or an address outside the cluster's pods. */
export type Endpoint = { workload: Workload } | { ip: string };

export interface Connection {
  protocol: Protocol;
  port: number;
}

/**
 * allowed: a ClusterNetworkPolicy rule accepts it, a NetworkPolicy rule allows it, or no tier
 * decides. undetermined: only an ipBlock that holds the pod's own IP would allow it, which
 * NetworkPolicy leaves to the implementation.
 */
export type Decision = 'allowed' | 'denied' | 'undetermined';

/**
 * A tier one direction went through, in the order they are evaluated: the Admin tier (where one of
 * its ClusterNetworkPolicies selects the pod), NetworkPolicy, the Baseline tier (likewise). A tier
 * that passes hands the connection to the next; past the last, it is allowed.
 */
export interface TierStep {
  tier: ClusterTier | 'NetworkPolicy';
  outcome: Decision | 'pass';
  /** Admin, Baseline: the tier's policies that select the pod, in the order they are evaluated. */
  policies?: string[];
  /** Admin, Baseline: the first rule that matches the connection; none when no rule does. */
  rule?: ClusterRuleRef;
  /** Admin, Baseline: rules before it whose networks peer could not be matched, the other pod's IP being unknown. */
  unknownAddress?: ClusterRuleRef[];
}

export interface DirectionVerdict {
  direction: Direction;
  decision: Decision;
  /** The tiers it went through, in order; the NetworkPolicy fields below are empty where the Admin tier decided. */
  tiers: TierStep[];
  /** The NetworkPolicies that select the pod for this direction: none means it is not isolated. */
  isolatedBy: { policy: PolicyRef; origin?: Origin }[];
  /** The rules that allow the connection (empty when nothing isolates the pod). */
  allowedBy: RuleRef[];
  /** ipBlock peers that hold the other pod's IP. */
  undeterminedBy: RuleRef[];
  /** ipBlock peers that would allow it but for an except entry (the cloud metadata cut-out, say). */
  exceptedBy: RuleRef[];
}

export interface Verdict {
  decision: Decision;
  /** A Pod's traffic to itself is never filtered (a workload's replicas are other pods, and are). */
  self?: true;
  /** The source pod's egress; none when the source is an address. */
  egress?: DirectionVerdict;
  /** The destination pod's ingress; none when the destination is an address. */
  ingress?: DirectionVerdict;
}
