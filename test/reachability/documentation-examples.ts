// The NetworkPolicy examples of the Kubernetes documentation (concepts/services-networking/
// network-policies), each with connections and what the documentation says of them.
import type { Connection, NetworkPolicySource, Workload } from '../../src/reachability/types.ts';

export interface DocumentedCase {
  what: string;
  from: string;
  to: string;
  connection: Connection;
  allowed: boolean;
}

export interface DocumentedExample {
  name: string;
  policies: NetworkPolicySource[];
  cases: DocumentedCase[];
}

export const namespaces = new Map<string, Record<string, string>>([
  ['default', { 'kubernetes.io/metadata.name': 'default' }],
  ['myproject', { 'kubernetes.io/metadata.name': 'myproject', project: 'myproject' }],
  ['other', { 'kubernetes.io/metadata.name': 'other' }],
]);

const pod = (namespace: string, name: string, labels: Record<string, string>, ip: string): Workload => ({ namespace, kind: 'Pod', name, labels, ip, ports: [] });

/** The pods the cases name, as namespace/name. */
export const workloads: Workload[] = [
  pod('default', 'db', { role: 'db' }, '10.244.0.10'),
  pod('default', 'frontend', { role: 'frontend' }, '10.244.0.11'),
  pod('default', 'web', { app: 'web' }, '10.244.0.12'),
  pod('myproject', 'client', { app: 'client' }, '10.244.1.10'),
  pod('other', 'frontend', { role: 'frontend' }, '10.244.2.10'),
];

const tcp = (port: number): Connection => ({ protocol: 'TCP', port });
const policy = (name: string, spec: NetworkPolicySource['spec']): NetworkPolicySource => ({ metadata: { name, namespace: 'default' }, spec });

export const EXAMPLES: DocumentedExample[] = [
  {
    name: 'test-network-policy',
    policies: [policy('test-network-policy', {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{
        from: [
          { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
          { namespaceSelector: { matchLabels: { project: 'myproject' } } },
          { podSelector: { matchLabels: { role: 'frontend' } } },
        ],
        ports: [{ protocol: 'TCP', port: 6379 }],
      }],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
    })],
    cases: [
      { what: 'a frontend pod of the namespace on 6379', from: 'default/frontend', to: 'default/db', connection: tcp(6379), allowed: true },
      { what: 'a frontend pod on another port', from: 'default/frontend', to: 'default/db', connection: tcp(80), allowed: false },
      { what: 'any pod of a namespace labelled project=myproject', from: 'myproject/client', to: 'default/db', connection: tcp(6379), allowed: true },
      { what: 'a frontend pod of another namespace', from: 'other/frontend', to: 'default/db', connection: tcp(6379), allowed: false },
      { what: 'an address in the ipBlock', from: '172.17.2.5', to: 'default/db', connection: tcp(6379), allowed: true },
      { what: 'an address in the except range', from: '172.17.1.5', to: 'default/db', connection: tcp(6379), allowed: false },
      { what: 'a pod without role=frontend', from: 'default/web', to: 'default/db', connection: tcp(6379), allowed: false },
      { what: 'db to 10.0.0.0/24 on 5978', from: 'default/db', to: '10.0.0.7', connection: tcp(5978), allowed: true },
      { what: 'db to 10.0.0.0/24 on another port', from: 'default/db', to: '10.0.0.7', connection: tcp(443), allowed: false },
      { what: 'db outside the egress ipBlock', from: 'default/db', to: '8.8.8.8', connection: tcp(5978), allowed: false },
      { what: 'a pod it does not select, egress anywhere', from: 'default/web', to: '8.8.8.8', connection: tcp(443), allowed: true },
    ],
  },
  {
    name: 'default-deny-ingress',
    policies: [policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    cases: [
      { what: 'any ingress', from: 'other/frontend', to: 'default/web', connection: tcp(80), allowed: false },
      { what: 'egress stays open', from: 'default/web', to: '1.1.1.1', connection: tcp(443), allowed: true },
    ],
  },
  {
    name: 'allow-all-ingress',
    policies: [policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }), policy('allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] })],
    cases: [{ what: 'any ingress, next to a default deny', from: 'other/frontend', to: 'default/web', connection: tcp(80), allowed: true }],
  },
  {
    name: 'default-deny-egress',
    policies: [policy('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    cases: [
      { what: 'any egress', from: 'default/web', to: 'other/frontend', connection: tcp(80), allowed: false },
      { what: 'ingress stays open', from: 'other/frontend', to: 'default/web', connection: tcp(80), allowed: true },
    ],
  },
  {
    name: 'allow-all-egress',
    policies: [policy('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] }), policy('allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] })],
    cases: [{ what: 'any egress, next to a default deny', from: 'default/web', to: '8.8.8.8', connection: { protocol: 'UDP', port: 53 }, allowed: true }],
  },
  {
    name: 'default-deny-all',
    policies: [policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    cases: [
      { what: 'ingress', from: 'myproject/client', to: 'default/web', connection: tcp(80), allowed: false },
      { what: 'egress', from: 'default/web', to: 'myproject/client', connection: tcp(80), allowed: false },
      { what: 'between two pods of the namespace', from: 'default/frontend', to: 'default/web', connection: tcp(80), allowed: false },
    ],
  },
  {
    name: 'multi-port-egress',
    policies: [policy('multi-port-egress', {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
    })],
    cases: [
      { what: 'a port inside the range', from: 'default/db', to: '10.0.0.1', connection: tcp(32500), allowed: true },
      { what: 'the range\'s last port', from: 'default/db', to: '10.0.0.1', connection: tcp(32768), allowed: true },
      { what: 'a port past the range', from: 'default/db', to: '10.0.0.1', connection: tcp(32769), allowed: false },
      { what: 'UDP on a port inside the range', from: 'default/db', to: '10.0.0.1', connection: { protocol: 'UDP', port: 32500 }, allowed: false },
    ],
  },
  {
    name: 'targeting a namespace by its name',
    policies: [policy('from-myproject', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'myproject' } } }] }],
    })],
    cases: [
      { what: 'from the namespace named', from: 'myproject/client', to: 'default/web', connection: tcp(80), allowed: true },
      { what: 'from another namespace', from: 'other/frontend', to: 'default/web', connection: tcp(80), allowed: false },
      { what: 'from its own namespace, which the selector does not name', from: 'default/frontend', to: 'default/web', connection: tcp(80), allowed: false },
    ],
  },
];
