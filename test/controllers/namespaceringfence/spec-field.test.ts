// specFieldOf names, for every rule and peer render generates, a field that is in the spec and
// says what the rule allows: what `palisade can-reach --explain` shows.
import { expect } from 'chai';
import type { NamespaceRingfenceSpec } from '../../../src/api/namespaceringfence.ts';
import { render, specFieldOf } from '../../../src/controllers/namespaceringfence/render.ts';

const spec: NamespaceRingfenceSpec = {
  ingress: { allowSameNamespace: true, from: [{ namespaces: ['edge'], ports: [{ port: 443 }] }, { podSelector: { matchLabels: { app: 'probe' } } }] },
  egress: {
    allowSameNamespace: true,
    dns: { enabled: true, resolvers: ['169.254.20.10/32', '10.96.0.10/32'] },
    to: [{ namespaces: ['db'], ports: [{ port: 5432 }] }, { ipBlock: { cidr: '0.0.0.0/0' } }],
  },
};

/** The value at a path such as spec.egress.to[1]. */
function at(value: unknown, path: string): unknown {
  return path.split(/\.|\[(\d+)\]/).filter((step) => step !== undefined && step !== '')
    .reduce<unknown>((node, step) => (node as Record<string, unknown> | undefined)?.[step], value);
}

describe('NamespaceRingfence specFieldOf', function () {
  const { networkPolicies } = render({ metadata: { name: 'rf', namespace: 'shop' }, spec });
  const named = networkPolicies.flatMap((policy) => (['Ingress', 'Egress'] as const).flatMap((direction) => {
    const rules = (direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress) ?? [];
    return rules.flatMap((rule, index) => {
      const peers = ('from' in rule ? rule.from : (rule as { to?: unknown[] }).to) ?? [];
      return peers.map((_, peer) => ({ policy: policy.metadata.name, field: specFieldOf(policy.metadata.name, direction, index, peer) }));
    });
  }));

  it('names a field for every peer of every rule, and each field is in the spec', function () {
    for (const { policy, field } of named) {
      expect(field, policy).to.be.a('string');
      expect(at({ spec }, field!), field).to.not.equal(undefined);
    }
  });

  it('names each peer the spec lists, once', function () {
    expect(named.map(({ field }) => field).sort()).to.deep.equal([
      'spec.egress.allowSameNamespace', 'spec.egress.dns', 'spec.egress.dns.resolvers[0]', 'spec.egress.dns.resolvers[1]',
      'spec.egress.to[0]', 'spec.egress.to[1]', 'spec.ingress.allowSameNamespace', 'spec.ingress.from[0]', 'spec.ingress.from[1]',
    ]);
  });

  it('names no field for the default deny, which only isolates', function () {
    expect(specFieldOf('palisade-default-deny', 'Ingress', 0)).to.equal(undefined);
  });
});
