// Cluster DNS as both ringfence kinds open it: kube-dns in kube-system (CoreDNS keeps the label),
// and any more resolvers, on port 53 over UDP and TCP (a large answer falls back to TCP).
export const KUBE_DNS = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } } as const;

export const DNS_PORTS = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] as const;
