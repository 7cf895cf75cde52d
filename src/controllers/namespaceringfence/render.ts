// The desired state of a ringfence: a pure function from its spec to the NetworkPolicies and
// RoleBindings that fence its namespace in. Shared by the controller and `palisade render`.
import { BlockList, isIPv4 } from 'node:net';
import type { NamespaceRingfenceSpec, Peer, Subject } from '../../api/namespaceringfence.ts';
import { CLOUD_METADATA_CIDRS } from '../../network/cloud-metadata.ts';
import { API_VERSION } from '../../api/crd.ts';
import { FieldError } from '../../api/field-error.ts';
import { NAMESPACE_NAME_LABEL, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type ObjectMeta, type RoleBinding } from '../../kubernetes/objects.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
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
          { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          ...(egress.dns?.resolvers ?? []).map((cidr, i) => {
            parseCidr(cidr, `spec.egress.dns.resolvers[${i}]`);
            return { ipBlock: { cidr } };
          }),
        ],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
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
  const namespaceSelector = peer.namespaces
    ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...peer.namespaces].sort() }] }
    : peer.namespaceSelector;
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

/** The subnet of a CIDR; the API server checks the same with CEL, this keeps offline rendering as strict. */
function parseCidr(cidr: string, field: string): { block: BlockList; v4: boolean; prefix: number } {
  const [network = '', prefixText = ''] = cidr.split('/');
  const v4 = isIPv4(network);
  const prefix = Number(prefixText);
  const block = new BlockList();
  try {
    if (!/^\d+$/.test(prefixText)) throw new Error('no prefix length');
    block.addSubnet(network, prefix, v4 ? 'ipv4' : 'ipv6');
  } catch {
    throw new FieldError(field, `must be a CIDR such as 10.0.0.0/8 or fd00::/8, not "${cidr}"`);
  }
  return { block, v4, prefix };
}

/** The metadata addresses inside `cidr`, as except entries; an ipBlock that is only the metadata address is an error. */
function metadataCuts(cidr: string, field: string): string[] {
  const { block, v4, prefix } = parseCidr(cidr, field);
  return CLOUD_METADATA_CIDRS.filter((metadata) => isIPv4(metadata.split('/')[0]!) === v4).flatMap((metadata) => {
    const [address = '', hostBits] = metadata.split('/');
    if (!block.check(address, v4 ? 'ipv4' : 'ipv6')) return [];
    if (prefix === Number(hostBits)) {
      throw new FieldError(field, `allows the cloud metadata address ${address} while egress.blockCloudMetadata is true`);
    }
    return [metadata];
  });
}

function roleBinding(metadata: ObjectMeta, clusterRole: string, subjects: Subject[]): RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: subjects.map(({ kind, name, namespace }) =>
      kind === 'ServiceAccount' ? { kind, name, namespace } : { kind, name, apiGroup: 'rbac.authorization.k8s.io' }),
  };
}
