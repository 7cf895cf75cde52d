import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { FieldError } from '../../../src/api/field-error.ts';
import { render, type Ringfence } from '../../../src/controllers/namespaceringfence/render.ts';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';

const ringfence = (spec: NamespaceRingfenceSpec, uid?: string): Ringfence => ({ metadata: { name: 'fence', namespace: 'team', uid }, spec });
const policy = (spec: NamespaceRingfenceSpec, name: string) => render(ringfence(spec)).networkPolicies.find((p) => p.metadata.name === name);
const kubeDns = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
const dnsPorts = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];

describe('NamespaceRingfence render', function () {
  it('fences with default deny, same namespace and DNS when the spec is empty', function () {
    const { networkPolicies, roleBindings } = render(ringfence({}));
    expect(networkPolicies.map((p) => [p.metadata.name, p.spec])).to.deep.equal([
      ['palisade-default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
      ['palisade-same-namespace', {
        podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }],
      }],
      ['palisade-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [kubeDns], ports: dnsPorts }] }],
    ]);
    expect(roleBindings).to.deep.equal([]);
  });

  it('never carries ArgoCD tracking labels or annotations of the ringfence onto what it generates', function () {
    const tracked = {
      metadata: {
        name: 'fence', namespace: 'team', uid: 'uid-1',
        labels: { 'app.kubernetes.io/instance': 'payments', 'argocd.argoproj.io/instance': 'payments' },
        annotations: { 'argocd.argoproj.io/tracking-id': 'payments:palisade.dev/NamespaceRingfence:team/fence', 'argocd.argoproj.io/sync-wave': '1' },
      },
      spec: { access: { viewers: [{ kind: 'Group', name: 'auditors' }] } },
    } as Ringfence;
    const { networkPolicies, roleBindings } = render(tracked);
    for (const object of [...networkPolicies, ...roleBindings]) {
      expect(Object.keys(object.metadata.labels).sort(), object.metadata.name).to.deep.equal(['app.kubernetes.io/managed-by', 'palisade.dev/ringfence']);
      expect(object.metadata, object.metadata.name).to.not.have.property('annotations');
    }
  });

  it('labels every object with its manager and ringfence, owned by the ringfence when its UID is known', function () {
    const { networkPolicies } = render(ringfence({}, 'uid-1'));
    expect(networkPolicies[0]?.metadata).to.deep.equal({
      name: 'palisade-default-deny', namespace: 'team',
      labels: { 'app.kubernetes.io/managed-by': 'palisade', 'palisade.dev/ringfence': 'fence' },
      ownerReferences: [{ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', name: 'fence', uid: 'uid-1', controller: true }],
    });
    expect(render(ringfence({})).networkPolicies[0]?.metadata).to.not.have.property('ownerReferences');
  });

  it('turns same namespace and DNS off, one direction at a time', function () {
    const spec = { ingress: { allowSameNamespace: false }, egress: { allowSameNamespace: true, dns: { enabled: false } } };
    expect(policy(spec, 'palisade-same-namespace')?.spec).to.deep.equal({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] });
    expect(policy(spec, 'palisade-dns')).to.equal(undefined);
    expect(policy({ ingress: { allowSameNamespace: false }, egress: { allowSameNamespace: false } }, 'palisade-same-namespace')).to.equal(undefined);
  });

  it('allows extra resolvers on port 53 only, the metadata address included (GKE Cloud DNS)', function () {
    const spec = { egress: { dns: { resolvers: ['169.254.20.10/32', '169.254.169.254/32'] } } };
    expect(policy(spec, 'palisade-dns')?.spec.egress).to.deep.equal([{
      to: [kubeDns, { ipBlock: { cidr: '169.254.20.10/32' } }, { ipBlock: { cidr: '169.254.169.254/32' } }], ports: dnsPorts,
    }]);
  });

  it('selects namespaces by the label only Kubernetes sets, sorted, with pods and ports', function () {
    const spec: NamespaceRingfenceSpec = { ingress: { from: [
      { namespaces: ['web', 'edge'], podSelector: { matchLabels: { app: 'proxy' } }, ports: [{ port: 8443, protocol: 'TCP' }, { port: 9000, endPort: 9100, protocol: 'UDP' }] },
      { namespaceSelector: { matchLabels: { monitoring: 'true' } } },
      { podSelector: { matchLabels: { role: 'batch' } } },
    ] } };
    expect(policy(spec, 'palisade-ingress')?.spec).to.deep.equal({
      podSelector: {}, policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['edge', 'web'] }] }, podSelector: { matchLabels: { app: 'proxy' } } }],
          ports: [{ protocol: 'TCP', port: 8443 }, { protocol: 'UDP', port: 9000, endPort: 9100 }],
        },
        { from: [{ namespaceSelector: { matchLabels: { monitoring: 'true' } } }] },
        { from: [{ podSelector: { matchLabels: { role: 'batch' } } }] },
      ],
    });
  });

  it('cuts the cloud metadata addresses out of every egress ipBlock that contains them', function () {
    const spec: NamespaceRingfenceSpec = { egress: { to: [
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, ports: [{ port: 443 }] },
      { ipBlock: { cidr: '::/0' } },
      { ipBlock: { cidr: '10.20.0.0/16' } },
    ] } };
    expect(policy(spec, 'palisade-egress')?.spec.egress).to.deep.equal([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128'] } }] },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] },
    ]);
    const unblocked = { egress: { blockCloudMetadata: false, to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] } };
    expect(policy(unblocked, 'palisade-egress')?.spec.egress).to.deep.equal([{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }]);
  });

  it('refuses an egress peer that is only the metadata address while it is blocked, naming the field', function () {
    const spec = { egress: { to: [{ namespaces: ['db'] }, { ipBlock: { cidr: '169.254.169.254/32' } }] } };
    expect(() => render(ringfence(spec))).to.throw(FieldError, 'spec.egress.to[1].ipBlock.cidr: allows the cloud metadata address');
  });

  it('binds admin, edit and view for the listed subjects', function () {
    const { roleBindings } = render(ringfence({ access: {
      admins: [{ kind: 'Group', name: 'leads' }],
      viewers: [{ kind: 'User', name: 'ada' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }],
    } }));
    expect(roleBindings.map((b) => [b.metadata.name, b.roleRef.name, b.subjects])).to.deep.equal([
      ['palisade-admins', 'admin', [{ kind: 'Group', name: 'leads', apiGroup: 'rbac.authorization.k8s.io' }]],
      ['palisade-viewers', 'view', [
        { kind: 'User', name: 'ada', apiGroup: 'rbac.authorization.k8s.io' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
      ]],
    ]);
  });

  it('renders the example in examples/ to five policies and three bindings', function () {
    const docs = loadAll(readFileSync(new URL('../../../examples/namespaceringfence.yaml', import.meta.url), 'utf8')) as Ringfence[];
    const example = docs.find((doc) => (doc as { kind?: string }).kind === 'NamespaceRingfence')!;
    const { networkPolicies, roleBindings } = render(example);
    expect(networkPolicies.map((p) => p.metadata.name)).to.deep.equal([
      'palisade-default-deny', 'palisade-same-namespace', 'palisade-dns', 'palisade-ingress', 'palisade-egress',
    ]);
    expect(roleBindings.map((b) => b.metadata.name)).to.deep.equal(['palisade-admins', 'palisade-editors', 'palisade-viewers']);
  });
});
