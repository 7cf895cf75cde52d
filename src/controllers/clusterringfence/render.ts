// The desired state of a ClusterRingfence: a pure function from its spec and the namespaces it
// selects to ClusterNetworkPolicies. Shared by the controller and `palisade render`.
//
// The Admin tier takes four priorities of the ringfence's slot, in this order:
//   guardrails  Accept DNS (to kube-dns and the listed resolvers, port 53), then Deny the cloud
//               metadata address, every protocol and port: no later rule can reopen it;
//   allow       Accept every allow entry;
//   tenant-*    one per tenant: Pass within the tenant, to its own NetworkPolicies;
//   isolation   Deny between the selected namespaces (what no tenant policy passed is another tenant).
// ClusterNetworkPolicy has no "same labels" peer, so tenants need a policy each: objects grow with
// tenants, not namespaces. The Baseline tier takes one priority, for defaults.denyAll.
import { createHash } from 'node:crypto';
import type { ClusterRingfenceSpec } from '../../api/clusterringfence.ts';
import { API_VERSION } from '../../api/crd.ts';
import { FieldError } from '../../api/field-error.ts';
import type { Peer } from '../../api/peer.ts';
import type {
  ClusterNetworkPolicy, ClusterNetworkPolicyPeer, ClusterNetworkPolicyProtocol, LabelSelector, PortMatch,
} from '../../kubernetes/objects.ts';
import { MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL } from '../../kubernetes/objects.ts';
import { CLOUD_METADATA_CIDRS } from '../../network/cloud-metadata.ts';
import { DNS_PORTS, KUBE_DNS } from '../../network/dns.ts';
import { namespaceNamed, peerNamespaceSelector, portRanges, type PortRange } from '../../network/peers.ts';

export const CLUSTER_RINGFENCE_LABEL = 'palisade.dev/clusterringfence';
/** Priorities a slot takes in the Admin tier: guardrails, allow, tenants, isolation. */
const ADMIN_PRIORITIES_PER_SLOT = 4;

export interface ClusterRingfence {
  metadata: { name: string; uid?: string };
  spec: ClusterRingfenceSpec;
}

/** The priorities the operator may give its ClusterNetworkPolicies, in both tiers (its flag). */
export interface PriorityBand {
  first: number;
  last: number;
}

export interface SelectedNamespace {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** What a generated policy is for: how it is applied (first, fail closed) follows from it, never from its name. */
export type PolicyRole = 'guardrails' | 'allow' | 'tenant' | 'isolation' | 'baseline';

export interface Rendered {
  policies: ClusterNetworkPolicy[];
  /** Each policy's role, by name. */
  roles: ReadonlyMap<string, PolicyRole>;
  /** The Admin priorities of the slot (first-last) and the Baseline one. */
  adminPriorities: string;
  baselinePriority: number;
  tenantCount: number;
}

/** The ClusterNetworkPolicies of `ringfence` over `namespaces` (those it selects), in `apiVersion`. */
export function render(ringfence: ClusterRingfence, namespaces: readonly SelectedNamespace[], apiVersion: string, band: PriorityBand): Rendered {
  const { spec } = ringfence;
  const slot = spec.priority ?? 0;
  const admin = band.first + slot * ADMIN_PRIORITIES_PER_SLOT;
  const lastAdmin = admin + ADMIN_PRIORITIES_PER_SLOT - 1;
  if (lastAdmin > band.last) {
    throw new FieldError('spec.priority', `slot ${slot} needs Admin priorities ${admin}-${lastAdmin}, past the operator's band ${band.first}-${band.last}`);
  }
  const make = policyMaker(ringfence, apiVersion);
  const isolate = spec.guardrails?.isolateTenants ?? false;
  const tenants = isolate ? tenantsOf(spec, namespaces) : [];
  const generated: [PolicyRole, ClusterNetworkPolicy | undefined][] = [
    ['guardrails', guardrailsPolicy(spec, make, admin)],
    ['allow', allowPolicy(spec, make, admin + 1)],
    ...tenants.map((tenant): [PolicyRole, ClusterNetworkPolicy] => ['tenant', make(`tenant-${tenant.id}`, 'Admin', admin + 2, tenant.selector, {
      ingress: [{ name: 'same-tenant', action: 'Pass', from: [{ namespaces: tenant.selector }] }],
      egress: [{ name: 'same-tenant', action: 'Pass', to: [{ namespaces: tenant.selector }] }],
    })]),
    ['isolation', isolate ? make('isolation', 'Admin', admin + 3, spec.namespaceSelector, {
      ingress: [{ name: 'other-tenants', action: 'Deny', from: [{ namespaces: spec.namespaceSelector }] }],
      egress: [{ name: 'other-tenants', action: 'Deny', to: [{ namespaces: spec.namespaceSelector }] }],
    }) : undefined],
    ['baseline', spec.defaults?.denyAll ? make('baseline', 'Baseline', band.first + slot, spec.namespaceSelector, {
      // Ingress peers are pods only: from outside the cluster nothing can be matched.
      ingress: [{ name: 'deny-all', action: 'Deny', from: [{ namespaces: {} }] }],
      egress: [{ name: 'deny-all', action: 'Deny', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0', '::/0'] }] }],
    }) : undefined],
  ];
  const kept = generated.filter((entry): entry is [PolicyRole, ClusterNetworkPolicy] => entry[1] !== undefined);
  return {
    policies: kept.map(([, policy]) => policy), roles: new Map(kept.map(([role, policy]) => [policy.metadata.name, role])),
    adminPriorities: `${admin}-${lastAdmin}`, baselinePriority: band.first + slot, tenantCount: tenants.length,
  };
}

type Rules = Pick<ClusterNetworkPolicy['spec'], 'ingress' | 'egress'>;
type PolicyMaker = (suffix: string, tier: 'Admin' | 'Baseline', priority: number, namespaces: LabelSelector, rules: Rules) => ClusterNetworkPolicy;

function policyMaker({ metadata }: ClusterRingfence, apiVersion: string): PolicyMaker {
  return (suffix, tier, priority, namespaces, rules) => ({
    apiVersion, kind: 'ClusterNetworkPolicy',
    metadata: {
      name: `palisade-${metadata.name}-${suffix}`,
      labels: { [MANAGED_BY_LABEL]: 'palisade', [CLUSTER_RINGFENCE_LABEL]: metadata.name },
      ...(metadata.uid
        ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'ClusterRingfence', name: metadata.name, uid: metadata.uid, controller: true }] }
        : {}),
    },
    spec: {
      tier, priority, subject: { namespaces },
      ...(rules.ingress?.length ? { ingress: rules.ingress } : {}),
      ...(rules.egress?.length ? { egress: rules.egress } : {}),
    },
  });
}

/** DNS, then the metadata Deny (after DNS, so that a resolver listed at the metadata address answers); undefined without either. */
function guardrailsPolicy(spec: ClusterRingfenceSpec, make: PolicyMaker, priority: number): ClusterNetworkPolicy | undefined {
  const guardrails = spec.guardrails ?? {};
  const egress: NonNullable<Rules['egress']> = [];
  if (guardrails.dns?.enabled ?? true) {
    const resolvers = guardrails.dns?.resolvers ?? [];
    egress.push({
      name: 'dns', action: 'Accept',
      to: [
        { pods: { namespaceSelector: namespaceNamed(KUBE_DNS.namespace), podSelector: { matchLabels: { ...KUBE_DNS.podLabels } } } },
        ...(resolvers.length ? [{ networks: [...resolvers] }] : []),
      ],
      protocols: DNS_PORTS.map(({ protocol, port }) => protocolMatch({ protocol, first: port, last: port })),
    });
  }
  // No protocols: every protocol and port, not only the TCP, UDP and SCTP ones a rule can name.
  if (guardrails.blockCloudMetadata ?? true) egress.push({ name: 'cloud-metadata', action: 'Deny', to: [{ networks: [...CLOUD_METADATA_CIDRS] }] });
  return egress.length ? make('guardrails', 'Admin', priority, spec.namespaceSelector, { egress }) : undefined;
}

/** The allow entries, each an Accept; undefined without any. */
function allowPolicy(spec: ClusterRingfenceSpec, make: PolicyMaker, priority: number): ClusterNetworkPolicy | undefined {
  const allow = spec.guardrails?.allow ?? {};
  const egress = (allow.to ?? []).map((peer, i) => ({ name: `allow-to-${i}`, action: 'Accept' as const, to: [peerOf(peer)], ...protocolsOf(peer) }));
  const ingress = (allow.from ?? []).map((peer, i) => ({ name: `allow-from-${i}`, action: 'Accept' as const, from: [peerOf(peer)], ...protocolsOf(peer) }));
  return egress.length || ingress.length ? make('allow', 'Admin', priority, spec.namespaceSelector, { ingress, egress }) : undefined;
}

/** A peer as ClusterNetworkPolicy matches it: pods, namespaces, or networks (the schema allows no except). */
function peerOf(peer: Peer): ClusterNetworkPolicyPeer {
  if (peer.ipBlock) return { networks: [peer.ipBlock.cidr] };
  const namespaces = peerNamespaceSelector(peer) ?? {};
  return peer.podSelector ? { pods: { namespaceSelector: namespaces, podSelector: peer.podSelector } } : { namespaces };
}

const protocolsOf = (peer: Peer): { protocols?: ClusterNetworkPolicyProtocol[] } =>
  (peer.ports?.length ? { protocols: portRanges(peer.ports).map(protocolMatch) } : {});

function protocolMatch({ protocol, first, last }: PortRange): ClusterNetworkPolicyProtocol {
  const destinationPort: PortMatch = first === last ? { number: first } : { range: { start: first, end: last } };
  switch (protocol) {
    case 'TCP': return { tcp: { destinationPort } };
    case 'UDP': return { udp: { destinationPort } };
    case 'SCTP': return { sctp: { destinationPort } };
  }
}

interface Tenant {
  id: string;
  selector: LabelSelector;
}

/** The tenants among `namespaces`: by the tenant label's value, else each namespace on its own; sorted by id. */
function tenantsOf(spec: ClusterRingfenceSpec, namespaces: readonly SelectedNamespace[]): Tenant[] {
  const label = spec.tenantLabel;
  const tenants = new Map<string, Tenant>();
  for (const { name, labels } of namespaces) {
    const value = label === undefined ? undefined : labels[label];
    const tenant = value === undefined
      ? { id: `ns-${name}`, selector: narrowed(spec.namespaceSelector, { key: NAMESPACE_NAME_LABEL, operator: 'In', values: [name] }, label) }
      : { id: `t-${nameSafe(value)}`, selector: narrowed(spec.namespaceSelector, { key: label!, operator: 'In', values: [value] }) };
    tenants.set(tenant.id, tenant);
  }
  return [...tenants.values()].sort((a, b) => a.id.localeCompare(b.id));
}

type Requirement = NonNullable<LabelSelector['matchExpressions']>[number];

/** The selector with one more requirement; a namespace tenant also lacks the tenant label, so that it never spans a labelled tenant. */
function narrowed(selector: LabelSelector, requirement: Requirement, unlabelled?: string): LabelSelector {
  const more = unlabelled === undefined ? [requirement] : [requirement, { key: unlabelled, operator: 'DoesNotExist' }];
  return { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...more] };
}

/**
 * A label value as part of an object name: lowercase letters, digits and '-', to read, and a hash of
 * the value, which keeps apart values that read alike ("B_2" and "b-2").
 */
function nameSafe(value: string): string {
  const safe = value.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return safe ? `${safe}-${hash}` : hash;
}

/**
 * The spec field a rule of a generated policy comes from, by the rule's name, as `palisade
 * can-reach --explain` names it; undefined for a rule render does not generate. Peer 0 of the DNS
 * rule is kube-dns; the resolvers follow it.
 */
export function clusterSpecFieldOf(ruleName: string | undefined, peer: number): string | undefined {
  const allow = /^allow-(to|from)-(\d+)$/.exec(ruleName ?? '');
  if (allow) return `spec.guardrails.allow.${allow[1]}[${allow[2]}]`;
  switch (ruleName) {
    case 'cloud-metadata': return 'spec.guardrails.blockCloudMetadata';
    case 'dns': return peer ? 'spec.guardrails.dns.resolvers' : 'spec.guardrails.dns';
    case 'same-tenant': case 'other-tenants': return 'spec.guardrails.isolateTenants';
    case 'deny-all': return 'spec.defaults.denyAll';
    default: return undefined;
  }
}
