// Invalid resources are refused by the real API server, with a message that names the field.
import { expect } from 'chai';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../../harness/crds.ts';
import { kubectl } from '../../../harness/kubectl.ts';

const API_VERSION = 'palisade.dev/v1alpha1';

const ringfence = (spec: unknown) => ({ apiVersion: API_VERSION, kind: 'NamespaceRingfence', metadata: { name: 'invalid', namespace: 'default' }, spec });
const baseline = (spec: unknown) => ({ apiVersion: API_VERSION, kind: 'PodSecurityBaseline', metadata: { name: 'invalid' }, spec });
const rotation = (spec: Record<string, unknown>) => ({
  apiVersion: API_VERSION, kind: 'KeyRotationSchedule', metadata: { name: 'invalid' },
  spec: { schedule: '0 3 * * 0', keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File' }, ...spec },
});
const enforceRestricted = { namespaces: ['team-a'], enforce: { level: 'restricted' } };

interface Case {
  what: string;
  object: unknown;
  /** Each must appear in kubectl's error: the field's path and what is wrong with it. */
  says: string[];
}

const cases: Case[] = [
  { what: 'an unknown mode', object: ringfence({ mode: 'Audit' }), says: ['spec.mode', 'Unsupported value: "Audit"'] },
  {
    what: 'a malformed CIDR',
    object: ringfence({ egress: { to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] } }),
    says: ['spec.egress.to[0].ipBlock.cidr', 'must be a CIDR'],
  },
  {
    what: 'an except outside its CIDR',
    object: ringfence({ egress: { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] } }),
    says: ['spec.egress.to[0].ipBlock.except', 'every except entry must lie inside cidr'],
  },
  {
    what: 'a port out of range',
    object: ringfence({ ingress: { from: [{ namespaces: ['web'], ports: [{ port: 70000 }] }] } }),
    says: ['spec.ingress.from[0].ports[0].port', 'should be less than or equal to 65535'],
  },
  {
    what: 'an endPort below its port',
    object: ringfence({ ingress: { from: [{ namespaces: ['web'], ports: [{ port: 9000, endPort: 8000 }] }] } }),
    says: ['spec.ingress.from[0].ports[0].endPort', 'endPort must not be below port'],
  },
  {
    what: 'a peer with both an ipBlock and namespaces',
    object: ringfence({ egress: { to: [{ namespaces: ['db'], ipBlock: { cidr: '10.0.0.0/8' } }] } }),
    says: ['spec.egress.to[0]', 'ipBlock cannot be combined with namespaces'],
  },
  {
    what: 'a peer that selects nothing',
    object: ringfence({ egress: { to: [{ ports: [{ port: 443 }] }] } }),
    says: ['spec.egress.to[0]', 'a peer needs namespaces, namespaceSelector, podSelector or ipBlock'],
  },
  {
    what: 'a namespace name that is not a DNS label',
    object: ringfence({ ingress: { from: [{ namespaces: ['Web_Frontend'] }] } }),
    says: ['spec.ingress.from[0].namespaces[0]', 'should match'],
  },
  {
    what: 'a ServiceAccount subject without a namespace',
    object: ringfence({ access: { viewers: [{ kind: 'ServiceAccount', name: 'ci' }] } }),
    says: ['spec.access.viewers[0].namespace', 'namespace is required for a ServiceAccount'],
  },
  {
    what: 'a ringfence name too long for a label value',
    object: { ...ringfence({}), metadata: { name: 'r'.repeat(64), namespace: 'default' } },
    says: ['metadata.name must be at most 63 characters'],
  },
  {
    what: 'an unknown field',
    object: ringfence({ egres: { dns: { enabled: false } } }),
    says: ['.spec.egres: field not declared in schema'],
  },
  {
    what: 'an unknown Pod Security level',
    object: baseline({ ...enforceRestricted, enforce: { level: 'strict' } }),
    says: ['spec.enforce.level', 'Unsupported value: "strict"'],
  },
  {
    what: 'a malformed Pod Security version',
    object: baseline({ ...enforceRestricted, enforce: { level: 'baseline', version: '1.37' } }),
    says: ['spec.enforce.version', 'should match'],
  },
  {
    what: 'a baseline without enforce',
    object: baseline({ namespaces: ['team-a'] }),
    says: ['spec.enforce', 'Required value'],
  },
  {
    what: 'a baseline that selects no namespace',
    object: baseline({ enforce: { level: 'restricted' } }),
    says: ['spec', 'select namespaces with namespaceSelector, namespaces, or both'],
  },
  {
    what: 'an empty namespaceSelector',
    object: baseline({ namespaceSelector: {}, enforce: { level: 'restricted' } }),
    says: ['spec.namespaceSelector', 'namespaceSelector must have matchLabels or matchExpressions'],
  },
  {
    what: 'a selector expression without values',
    object: baseline({ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] }, enforce: { level: 'restricted' } }),
    says: ['spec.namespaceSelector.matchExpressions[0]', 'values must be non-empty for In and NotIn'],
  },
  { what: 'an unknown provider', object: rotation({ provider: 'rot13' }), says: ['spec.provider', 'Unsupported value: "rot13"'] },
  { what: 'a schedule that is not cron', object: rotation({ schedule: 'every sunday' }), says: ['spec.schedule', 'should match'] },
  {
    what: 'too many retained keys',
    object: rotation({ retainPreviousKeys: 50 }),
    says: ['spec.retainPreviousKeys', 'should be less than or equal to 10'],
  },
  { what: 'a missing keyStore', object: rotation({ keyStore: undefined }), says: ['spec.keyStore', 'Required value'] },
  {
    what: 'a relative delivery path',
    object: rotation({ delivery: { type: 'File', path: 'enc/config.yaml' } }),
    says: ['spec.delivery.path', 'should match'],
  },
  {
    what: 'no delivery for a provider that needs one',
    object: rotation({ delivery: undefined }),
    says: ['spec.delivery', 'delivery is required unless provider is kms'],
  },
];

describe('invalid resources are refused by the real API server', function () {
  let kubeconfig: string;

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
  });

  for (const { what, object, says } of cases) {
    it(`refuses ${what}`, async function () {
      const result = await kubectl(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify(object));
      expect(result.code, result.stdout).to.not.equal(0);
      for (const text of says) expect(result.stderr).to.include(text);
    });
  }

  it('accepts kms without a delivery (the KMS plugin owns the keys)', async function () {
    const result = await kubectl(kubeconfig, ['apply', '--server-side', '--dry-run=server', '-f', '-'],
      JSON.stringify(rotation({ provider: 'kms', delivery: undefined })));
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
  });
});
