// A peer of either ringfence kind, as the selectors and ports a generated policy matches: one
// reading of the peer model for NetworkPolicy and ClusterNetworkPolicy alike.
import type { Peer, PeerPort } from '../api/peer.ts';
import { NAMESPACE_NAME_LABEL, type LabelSelector } from '../kubernetes/objects.ts';

/** Namespaces by name become a selector on the label only Kubernetes sets; undefined when the peer names none. */
export function peerNamespaceSelector(peer: Peer): LabelSelector | undefined {
  return peer.namespaces
    ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...peer.namespaces].sort() }] }
    : peer.namespaceSelector;
}

/** The one namespace of that name. */
export const namespaceNamed = (name: string): LabelSelector => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });

export interface PortRange {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  first: number;
  last: number;
}

/** A peer's ports, each with its protocol (TCP unless said) and its last port. */
export function portRanges(ports: readonly PeerPort[] | undefined): PortRange[] {
  return (ports ?? []).map(({ port, endPort, protocol }) => ({ protocol: protocol ?? 'TCP', first: port, last: endPort ?? port }));
}
