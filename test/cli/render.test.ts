// `palisade render`, run as users run it.
import { expect } from 'chai';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { palisade, palisadeWith } from '../support/cli.ts';

const examples = new URL('../../examples/', import.meta.url).pathname;

async function fileWith(spec: unknown, metadata: Record<string, unknown> = { name: 'fence', namespace: 'team' }): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'fence.yaml');
  await writeFile(file, JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata, spec }));
  return file;
}

describe('palisade render', function () {
  this.timeout(20_000);

  it('prints the objects of every ringfence in a directory, other kinds skipped', async function () {
    const { code, stdout, stderr } = await palisade('render', '-f', examples);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    const objects = loadAll(stdout) as { kind: string; metadata: { name: string; namespace?: string } }[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).to.deep.equal([
      // examples/clusterringfence.yaml, over the tenant namespace of examples/namespaceringfence.yaml.
      ...['guardrails', 'allow', 'tenant-ns-payments', 'isolation', 'baseline'].map((name) => `ClusterNetworkPolicy//palisade-tenants-${name}`),
      'NetworkPolicy/payments/palisade-default-deny', 'NetworkPolicy/payments/palisade-same-namespace', 'NetworkPolicy/payments/palisade-dns',
      'NetworkPolicy/payments/palisade-ingress', 'NetworkPolicy/payments/palisade-egress',
      'RoleBinding/payments/palisade-admins', 'RoleBinding/payments/palisade-editors', 'RoleBinding/payments/palisade-viewers',
    ]);
  });

  it('reads stdin for -f -, and prints one v1 List of the same objects with -o json', async function () {
    const file = new URL('../../examples/namespaceringfence.yaml', import.meta.url).pathname;
    const fromFile = await palisade('render', '-f', file);
    const fromStdin = await palisadeWith(await readFile(file, 'utf8'), 'render', '-f', '-');
    expect(fromStdin).to.deep.equal(fromFile);
    const json = await palisade('render', '-f', file, '-o', 'json');
    expect(json.code).to.equal(0);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: unknown[] };
    expect(list).to.include({ apiVersion: 'v1', kind: 'List' });
    expect(list.items).to.deep.equal(loadAll(fromFile.stdout));
  });

  it('refuses an output format it does not have, a document without a kind, and an error in stdin names stdin', async function () {
    const xml = await palisade('render', '-f', examples, '-o', 'xml');
    expect(xml).to.include({ code: 2, stdout: '' });
    expect(xml.stderr).to.include('-o xml: not an output format; use yaml or json');
    const kindless = await palisadeWith('apiVersion: palisade.dev/v1alpha1\nmetadata: {name: x}\n', 'render', '-f', '-');
    expect(kindless).to.include({ code: 2, stdout: '' });
    expect(kindless.stderr).to.include('stdin: document 1: apiVersion and kind must be set');
  });

  const refusals: [string, unknown, string][] = [
    ['an unknown mode', { mode: 'Audit' }, 'spec.mode: must be equal to one of the allowed values'],
    ['an unknown field', { egress: { dnss: {} } }, 'spec.egress.dnss: unknown field'],
    ['a port out of range', { ingress: { from: [{ namespaces: ['a'], ports: [{ port: 0 }] }] } }, 'spec.ingress.from[0].ports[0].port: must be >= 1'],
    ['a malformed CIDR', { egress: { to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] } }, 'spec.egress.to[0].ipBlock.cidr: must be a CIDR'],
    ['a CIDR with host bits', { egress: { to: [{ ipBlock: { cidr: '10.0.0.1/8' } }] } }, 'spec.egress.to[0].ipBlock.cidr: must have no bits set past the prefix length'],
    ['an except entry outside its cidr (a CEL rule of the CRD)', { egress: { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] } },
      'spec.egress.to[0].ipBlock.except: every except entry must lie inside cidr'],
    ['the metadata address as an allowed peer', { egress: { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] } },
      'spec.egress.to: an ipBlock that is only the cloud metadata address'],
  ];
  for (const [what, spec, message] of refusals) {
    it(`refuses ${what} with a message naming the file and field, and exit code 2`, async function () {
      const file = await fileWith(spec);
      const { code, stdout, stderr } = await palisade('render', '-f', file);
      expect(code).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr).to.include(`${file}: NamespaceRingfence team/fence: ${message}`);
    });
  }

  it('checks the other Palisade kinds too, and names every field at fault in every document', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'mixed.yaml');
    await writeFile(file, [
      'apiVersion: palisade.dev/v1alpha1\nkind: PodSecurityBaseline\nmetadata: {name: tenants}\nspec: {namespaces: [team-a], enforce: {level: baseline}}',
      'apiVersion: palisade.dev/v1alpha1\nkind: PodSecurityBaseline\nmetadata: {name: Tenants}\nspec: {namespaceSelector: {matchLabels: {team: "a b"}}, enforce: {level: on}}',
      'apiVersion: palisade.dev/v1alpha1\nkind: NamespaceRingfence\nmetadata: {name: fence, namespace: team}\nspec: {mode: yes}',
    ].join('\n---\n'));
    const { code, stdout, stderr } = await palisade('render', '-f', file);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr.trimEnd().split('\n')).to.deep.equal([
      `palisade: ${file}: PodSecurityBaseline Tenants: metadata.name: Invalid value: "Tenants": must be a lowercase RFC 1123 subdomain `
        + 'of at most 253 characters: a-z, 0-9, "-" and ".", starting and ending alphanumeric',
      `${file}: PodSecurityBaseline Tenants: spec.namespaceSelector.matchLabels.team: must match pattern "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"`,
      // Like the API server, a boolean where an enum's string belongs is both of the wrong type and not one of the values.
      `${file}: PodSecurityBaseline Tenants: spec.enforce.level: must be string`,
      `${file}: PodSecurityBaseline Tenants: spec.enforce.level: must be equal to one of the allowed values`,
      `${file}: NamespaceRingfence team/fence: spec.mode: must be string`,
      `${file}: NamespaceRingfence team/fence: spec.mode: must be equal to one of the allowed values`,
    ]);
  });

  it('renders a ClusterRingfence over the Namespaces of the same files it selects, a policy per tenant', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'tenants.yaml');
    const namespace = (name: string, labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {${labels}}}`;
    await writeFile(file, [
      'apiVersion: palisade.dev/v1alpha1\nkind: ClusterRingfence\nmetadata: {name: t}\n'
        + 'spec: {namespaceSelector: {matchLabels: {tenant: "yes"}}, tenantLabel: team, guardrails: {isolateTenants: true}}',
      namespace('a1', 'tenant: "yes", team: a'), namespace('a2', 'tenant: "yes", team: a'), namespace('b', 'tenant: "yes"'), namespace('other', 'team: a'),
    ].join('\n---\n'));
    const { code, stdout } = await palisade('render', '-f', file);
    expect(code).to.equal(0);
    const policies = loadAll(stdout) as { apiVersion: string; metadata: { name: string } }[];
    expect(policies.map((p) => `${p.apiVersion} ${p.metadata.name}`)).to.deep.equal(['guardrails', 'tenant-ns-b', 'tenant-t-a-ca978112', 'isolation']
      .map((name) => `policy.networking.k8s.io/v1beta1 palisade-t-${name}`));
  });

  it('refuses what a ClusterNetworkPolicy cannot say, naming the ClusterRingfence and field', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'tenants.yaml');
    await writeFile(file, 'apiVersion: palisade.dev/v1alpha1\nkind: ClusterRingfence\nmetadata: {name: t}\nspec:\n  namespaceSelector: {}\n'
      + '  guardrails: {allow: {from: [{ipBlock: {cidr: 10.0.0.0/8}}], to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}}\n');
    const { code, stderr } = await palisade('render', '-f', file);
    expect(code).to.equal(2);
    expect(stderr).to.include(`${file}: ClusterRingfence t: spec.namespaceSelector: namespaceSelector must have matchLabels or matchExpressions`);
    expect(stderr).to.include(`${file}: ClusterRingfence t: spec.guardrails.allow.from: ClusterNetworkPolicy matches ingress from pods only`);
    expect(stderr).to.include(`${file}: ClusterRingfence t: spec.guardrails.allow.to: a ClusterNetworkPolicy network has no except`);
  });

  it('prints nothing for valid resources that are not ringfences', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'baseline.yaml');
    await writeFile(file, 'apiVersion: palisade.dev/v1alpha1\nkind: PodSecurityBaseline\nmetadata: {name: tenants}\nspec: {namespaces: [team-a], enforce: {level: baseline}}\n');
    expect(await palisade('render', '-f', file)).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });

  it('refuses a kind the palisade.dev group does not serve', async function () {
    const file = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'fence.yaml');
    await writeFile(file, 'apiVersion: palisade.dev/v1alpha1\nkind: NamespaceFence\nmetadata: {name: fence}\nspec: {}\n');
    expect(await palisade('render', '-f', file)).to.deep.include({ code: 2, stderr: `palisade: ${file}: document 1: kind NamespaceFence is not served by palisade.dev\n` });
  });

  it('says what is missing: no -f, no such file, no ringfence', async function () {
    expect(await palisade('render')).to.include({ code: 2, stderr: 'palisade: render needs -f FILE|DIR|-\n' });
    expect((await palisade('render', '-f', '/no/such/file')).stderr).to.include('/no/such/file: no such file or directory');
    const empty = join(await mkdtemp(join(tmpdir(), 'palisade-render-')), 'ns.yaml');
    await writeFile(empty, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n');
    expect(await palisade('render', '-f', empty)).to.include({ code: 2 });
  });
});
