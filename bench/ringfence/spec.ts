// The ringfence every benchmark fences its namespaces with, the examples' shape: 5 NetworkPolicies
// (default deny, DNS, same namespace, a peer each way) and 2 RoleBindings.
import type { NamespaceRingfenceSpec } from '../../src/api/namespaceringfence.ts';

export const BENCH_SPEC: NamespaceRingfenceSpec = {
  ingress: { from: [{ namespaces: ['ingress-nginx'], ports: [{ port: 8443 }] }] },
  egress: { to: [{ namespaces: ['db'], ports: [{ port: 5432 }] }, { ipBlock: { cidr: '0.0.0.0/0' }, ports: [{ port: 443 }] }] },
  access: { editors: [{ kind: 'Group', name: 'devs' }], viewers: [{ kind: 'Group', name: 'auditors' }] },
};
