import { expect } from 'chai';
import type { ClusterRingfenceSpec } from '../../../src/api/clusterringfence.ts';
import { FieldError } from '../../../src/api/field-error.ts';
import { render, type SelectedNamespace } from '../../../src/controllers/clusterringfence/render.ts';
import type { ClusterNetworkPolicy } from '../../../src/kubernetes/objects.ts';

const V1BETA1 = 'policy.networking.k8s.io/v1beta1';
const BAND = { first: 100, last: 399 };
const TENANTS = { matchLabels: { 'palisade.dev/tenant': 'true' } };
const spec = (more: Partial<ClusterRingfenceSpec> = {}): ClusterRingfenceSpec => ({ namespaceSelector: TENANTS, ...more });
const ns = (name: string, labels: Record<string, string> = {}): SelectedNamespace => ({ name, labels: { 'palisade.dev/tenant': 'true', ...labels } });
const renderOf = (s: ClusterRingfenceSpec, namespaces: SelectedNamespace[] = [], band = BAND) => render({ metadata: { name: 'tenants', uid: 'u1' }, spec: s }, namespaces, V1BETA1, band);
const byName = (policies: ClusterNetworkPolicy[]) => new Map(policies.map((p) => [p.metadata.name.replace('palisade-tenants-', ''), p]));

describe('ClusterRingfence render', function () {
  it('accepts DNS, then denies the cloud metadata address on every protocol and port, in the Admin tier of slot 0', function () {
    const { policies, roles, adminPriorities, baselinePriority } = renderOf(spec());
    expect(policies.map((p) => p.metadata.name)).to.deep.equal(['palisade-tenants-guardrails']);
    const [guardrails] = policies;
    expect(roles.get('palisade-tenants-guardrails')).to.equal('guardrails');
    expect(guardrails!.apiVersion).to.equal(V1BETA1);
    expect(guardrails!.spec).to.include({ tier: 'Admin', priority: 100 });
    expect(guardrails!.spec.subject).to.deep.equal({ namespaces: TENANTS });
    expect(guardrails!.spec.egress).to.deep.equal([
      {
        name: 'dns', action: 'Accept',
        to: [{ pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } } }],
        protocols: [{ udp: { destinationPort: { number: 53 } } }, { tcp: { destinationPort: { number: 53 } } }],
      },
      // No protocols: every protocol and port.
      { name: 'cloud-metadata', action: 'Deny', to: [{ networks: ['169.254.169.254/32', 'fd00:ec2::254/128'] }] },
    ]);
    expect(guardrails!.metadata.labels).to.deep.equal({ 'app.kubernetes.io/managed-by': 'palisade', 'palisade.dev/clusterringfence': 'tenants' });
    expect(guardrails!.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'palisade.dev/v1alpha1', kind: 'ClusterRingfence', name: 'tenants', uid: 'u1', controller: true }]);
    expect({ adminPriorities, baselinePriority }).to.deep.equal({ adminPriorities: '100-103', baselinePriority: 100 });
  });

  it('opens port 53 of a resolver listed at the metadata address, ahead of its Deny', function () {
    const { policies } = renderOf(spec({ guardrails: { dns: { resolvers: ['169.254.169.254/32'] } } }));
    const [dns, metadata] = policies[0]!.spec.egress!;
    expect(dns!.to[1]).to.deep.equal({ networks: ['169.254.169.254/32'] });
    expect(metadata!.name).to.equal('cloud-metadata');
  });

  it('turns allow entries into Accept rules of a policy after the guardrails, peers and ports as ClusterNetworkPolicy has them', function () {
    const { policies, roles } = renderOf(spec({
      guardrails: {
        allow: {
          to: [{ ipBlock: { cidr: '10.0.0.0/8' }, ports: [{ port: 443 }, { port: 8000, endPort: 8100, protocol: 'UDP' }] }],
          from: [{ namespaces: ['monitoring'], podSelector: { matchLabels: { app: 'prometheus' } }, ports: [{ port: 9090 }] }, { namespaceSelector: { matchLabels: { team: 'ops' } } }],
        },
      },
    }));
    const allow = byName(policies).get('allow')!;
    expect(roles.get(allow.metadata.name)).to.equal('allow');
    expect(allow.spec.priority).to.equal(101);
    expect(allow.spec.egress).to.deep.equal([{
      name: 'allow-to-0', action: 'Accept', to: [{ networks: ['10.0.0.0/8'] }],
      protocols: [{ tcp: { destinationPort: { number: 443 } } }, { udp: { destinationPort: { range: { start: 8000, end: 8100 } } } }],
    }]);
    expect(allow.spec.ingress).to.deep.equal([
      {
        name: 'allow-from-0', action: 'Accept',
        from: [{ pods: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['monitoring'] }] }, podSelector: { matchLabels: { app: 'prometheus' } } } }],
        protocols: [{ tcp: { destinationPort: { number: 9090 } } }],
      },
      { name: 'allow-from-1', action: 'Accept', from: [{ namespaces: { matchLabels: { team: 'ops' } } }] },
    ]);
  });

  it('isolates tenants: a Pass policy per tenant, by label or else by namespace, then a Deny between all of them', function () {
    const { policies, roles, tenantCount } = renderOf(spec({ tenantLabel: 'tenant', guardrails: { isolateTenants: true, blockCloudMetadata: false, dns: { enabled: false } } }),
      [ns('a-api', { tenant: 'a' }), ns('a-db', { tenant: 'a' }), ns('b-web', { tenant: 'B_2' }), ns('loner')]);
    const policy = byName(policies);
    // A label value always carries its hash: "B_2" and "b-2" read alike and stay apart.
    expect([...policy.keys()]).to.deep.equal(['tenant-ns-loner', 'tenant-t-a-ca978112', 'tenant-t-b-2-8efd426e', 'isolation']);
    expect([...roles.values()]).to.deep.equal(['tenant', 'tenant', 'tenant', 'isolation']);
    expect(tenantCount).to.equal(3);
    const a = policy.get('tenant-t-a-ca978112')!.spec;
    const tenantA = { matchLabels: TENANTS.matchLabels, matchExpressions: [{ key: 'tenant', operator: 'In', values: ['a'] }] };
    expect(a).to.deep.equal({
      tier: 'Admin', priority: 102, subject: { namespaces: tenantA },
      ingress: [{ name: 'same-tenant', action: 'Pass', from: [{ namespaces: tenantA }] }],
      egress: [{ name: 'same-tenant', action: 'Pass', to: [{ namespaces: tenantA }] }],
    });
    // A namespace of its own never spans a labelled tenant: the tenant label must be absent too.
    expect(policy.get('tenant-ns-loner')!.spec.subject).to.deep.equal({ namespaces: { matchLabels: TENANTS.matchLabels, matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['loner'] }, { key: 'tenant', operator: 'DoesNotExist' },
    ] } });
    expect(policy.get('isolation')!.spec).to.deep.equal({
      tier: 'Admin', priority: 103, subject: { namespaces: TENANTS },
      ingress: [{ name: 'other-tenants', action: 'Deny', from: [{ namespaces: TENANTS }] }],
      egress: [{ name: 'other-tenants', action: 'Deny', to: [{ namespaces: TENANTS }] }],
    });
  });

  it('puts defaults.denyAll in the Baseline tier, and moves every priority with the slot', function () {
    const { policies } = renderOf(spec({ priority: 2, defaults: { denyAll: true }, guardrails: { isolateTenants: true, allow: { to: [{ namespaces: ['shared'] }] } } }), [ns('a')]);
    const policy = byName(policies);
    expect([...policy].map(([name, p]) => `${name} ${p.spec.tier} ${p.spec.priority}`)).to.deep.equal([
      'guardrails Admin 108', 'allow Admin 109', 'tenant-ns-a Admin 110', 'isolation Admin 111', 'baseline Baseline 102',
    ]);
    expect(policy.get('baseline')!.spec.egress).to.deep.equal([{ name: 'deny-all', action: 'Deny', to: [{ namespaces: {} }, { networks: ['0.0.0.0/0', '::/0'] }] }]);
    expect(policy.get('baseline')!.spec.ingress).to.deep.equal([{ name: 'deny-all', action: 'Deny', from: [{ namespaces: {} }] }]);
  });

  it('refuses a slot past the operator\'s band, naming spec.priority', function () {
    expect(() => renderOf(spec({ priority: 3 }), [], { first: 100, last: 110 })).to.throw(FieldError, 'spec.priority: slot 3 needs Admin priorities 112-115, past the operator\'s band 100-110');
  });
});
