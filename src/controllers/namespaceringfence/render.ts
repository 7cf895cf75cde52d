// The desired state of a ringfence: a pure function from its spec to the NetworkPolicies and
// RoleBindings that fence its namespace in. Shared by the controller and `palisade render`.
import type { NamespaceRingfenceSpec, Subject } from '../../api/namespaceringfence.ts';
import type { Peer } from '../../api/peer.ts';
import { API_VERSION } from '../../api/crd.ts';
import { parseCidr } from '../../network/cidr.ts';
import { metadataCuts } from '../../network/cloud-metadata.ts';
import { DNS_PORTS, KUBE_DNS } from '../../network/dns.ts';
import { namespaceNamed, peerNamespaceSelector } from '../../network/peers.ts';
import { MANAGED_BY_LABEL, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type ObjectMeta, type RoleBinding } from '../../kubernetes/objects.ts';

export const RINGFENCE_LABEL = 'palisade.dev/ringfence';
/** The policy that isolates every pod of the namespace; the others only allow. */
export const DEFAULT_DENY = 'palisade-default-deny';
const SAME_NAMESPACE = 'palisade-same-namespace';
const DNS = 'palisade-dns';
const INGRESS = 'palisade-ingress';
const EGRESS = 'palisade-egress';

export interface Ringfence {
  metadata: { name: string; namespace: string; uid?: string };
  spec: NamespaceRingfenceSpec;
}

export interface Rendered {
  networkPolicies: NetworkPolicy[];
  roleBindings: RoleBinding[];
}

export function render(ringfence: Ringfence): Rendered {
  const spec = ringfence.spec;
  const meta = (name: string) => objectMeta(ringfence, name);
  const ingress = spec.ingress ?? {};
  const egress = spec.egress ?? {};
  const blockMetadata = egress.blockCloudMetadata ?? true;
  const policies: NetworkPolicy[] = [
    networkPolicy(meta(DEFAULT_DENY), ['Ingress', 'Egress'], {}),
  ];
  const sameIngress = ingress.allowSameNamespace ?? true;
  const sameEgress = egress.allowSameNamespace ?? true;
  if (sameIngress || sameEgress) {
    policies.push(networkPolicy(meta(SAME_NAMESPACE), [...(sameIngress ? ['Ingress' as const] : []), ...(sameEgress ? ['Egress' as const] : [])], {
      ingress: sameIngress ? [{ from: [{ podSelector: {} }] }] : undefined,
      egress: sameEgress ? [{ to: [{ podSelector: {} }] }] : undefined,
    }));
  }
  if (egress.dns?.enabled ?? true) {
    policies.push(networkPolicy(meta(DNS), ['Egress'], {
      egress: [{
        to: [
          { namespaceSelector: namespaceNamed(KUBE_DNS.namespace), podSelector: { matchLabels: { ...KUBE_DNS.podLabels } } },
          ...(egress.dns?.resolvers ?? []).map((cidr, i) => {
            parseCidr(cidr, `spec.egress.dns.resolvers[${i}]`);
            return { ipBlock: { cidr } };
          }),
        ],
        ports: DNS_PORTS.map((port) => ({ ...port })),
      }],
    }));
  }
  if (ingress.from?.length) {
    policies.push(networkPolicy(meta(INGRESS), ['Ingress'], {
      ingress: ingress.from.map((peer, i) => ({ from: [networkPolicyPeer(peer, false, `spec.ingress.from[${i}]`)], ...ports(peer) })),
    }));
  }
  if (egress.to?.length) {
    policies.push(networkPolicy(meta(EGRESS), ['Egress'], {
      egress: egress.to.map((peer, i) => ({ to: [networkPolicyPeer(peer, blockMetadata, `spec.egress.to[${i}]`)], ...ports(peer) })),
    }));
  }
  const access = spec.access ?? {};
  const roleBindings = ([['admins', 'admin'], ['editors', 'edit'], ['viewers', 'view']] as const)
    .filter(([field]) => access[field]?.length)
    .map(([field, clusterRole]) => roleBinding(meta(`palisade-${field}`), clusterRole, access[field] ?? []));
  return { networkPolicies: policies, roleBindings };
}

/**
 * The spec field that rule `rule` (matched by peer `peer`) of the generated policy `policy` comes
 * from, as `palisade can-reach --explain` names it; undefined for the default deny, which has no
 * rules, and for a policy render does not generate.
 */
export function specFieldOf(policy: string, direction: 'Ingress' | 'Egress', rule: number, peer?: number): string | undefined {
  switch (policy) {
    case SAME_NAMESPACE: return direction === 'Ingress' ? 'spec.ingress.allowSameNamespace' : 'spec.egress.allowSameNamespace';
    // Peer 0 is kube-dns; the resolvers follow it in their order.
    case DNS: return peer ? `spec.egress.dns.resolvers[${peer - 1}]` : 'spec.egress.dns';
    case INGRESS: return `spec.ingress.from[${rule}]`;
    case EGRESS: return `spec.egress.to[${rule}]`;
    default: return undefined;
  }
}

function objectMeta(ringfence: Ringfence, name: string): ObjectMeta {
  const { metadata } = ringfence;
  return {
    name,
    namespace: metadata.namespace,
    labels: { [MANAGED_BY_LABEL]: 'palisade', [RINGFENCE_LABEL]: metadata.name },
    ...(metadata.uid
      ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'NamespaceRingfence', name: metadata.name, uid: metadata.uid, controller: true }] }
      : {}),
  };
}

function networkPolicy(metadata: ObjectMeta, policyTypes: NetworkPolicy['spec']['policyTypes'],
  rules: Pick<NetworkPolicy['spec'], 'ingress' | 'egress'>): NetworkPolicy {
  const spec: NetworkPolicy['spec'] = { podSelector: {}, policyTypes };
  if (rules.ingress) spec.ingress = rules.ingress;
  if (rules.egress) spec.egress = rules.egress;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec };
}

function networkPolicyPeer(peer: Peer, blockMetadata: boolean, field: string): NetworkPolicyPeer {
  if (peer.ipBlock) {
    parseCidr(peer.ipBlock.cidr, `${field}.ipBlock.cidr`);
    peer.ipBlock.except?.forEach((cut, i) => parseCidr(cut, `${field}.ipBlock.except[${i}]`));
    const except = [...(peer.ipBlock.except ?? []), ...(blockMetadata ? metadataCuts(peer.ipBlock.cidr, `${field}.ipBlock.cidr`) : [])];
    return { ipBlock: { cidr: peer.ipBlock.cidr, ...(except.length ? { except } : {}) } };
  }
  const namespaceSelector = peerNamespaceSelector(peer);
  return {
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(peer.podSelector || !namespaceSelector ? { podSelector: peer.podSelector ?? {} } : {}),
  };
}

/** The rule's ports; none (all ports) when the peer lists none. */
function ports(peer: Peer): { ports?: NetworkPolicyPort[] } {
  if (!peer.ports?.length) return {};
  return { ports: peer.ports.map(({ port, endPort, protocol }) => ({ protocol: protocol ?? 'TCP', port, ...(endPort ? { endPort } : {}) })) };
}

function roleBinding(metadata: ObjectMeta, clusterRole: string, subjects: Subject[]): RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: subjects.map(({ kind, name, namespace }) =>
      kind === 'ServiceAccount' ? { kind, name, namespace } : { kind, name, apiGroup: 'rbac.authorization.k8s.io' }),
  };
}
