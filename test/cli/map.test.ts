// `palisade map`, run as users run it on the ringfence example and its workloads: every format
// (SVG drawn in-process), --focus, --isolation, --diff's exit code as a pull request's check, and
// a ClusterNetworkPolicy's tier over the NetworkPolicies.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { palisade } from '../support/cli.ts';

const EXAMPLE = ['-f', 'examples/namespaceringfence.yaml', '-f', 'examples/reachability/'];
const map = (...args: string[]) => palisade('map', ...args, ...EXAMPLE);

/** The example twice, the second with its egress opened to port 80 and a second namespace for the database rule. */
function changedExample() {
  const dirs = [mkdtempSync(join(tmpdir(), 'palisade-before-')), mkdtempSync(join(tmpdir(), 'palisade-after-'))] as const;
  for (const dir of dirs) {
    cpSync('examples/namespaceringfence.yaml', join(dir, 'namespaceringfence.yaml'));
    cpSync('examples/reachability/workloads.yaml', join(dir, 'workloads.yaml'));
  }
  const ringfence = join(dirs[1], 'namespaceringfence.yaml');
  writeFileSync(ringfence, readFileSync(ringfence, 'utf8')
    .replace('ports: [{port: 443}]', 'ports: [{port: 443}, {port: 80}]')
    .replace('- namespaces: [payments-db]', '- namespaces: [payments-db, sandbox]'));
  return dirs;
}

describe('palisade map', function () {
  this.timeout(60_000);

  it('prints every allowed connection between workloads and address groups, as netpol-analyzer\'s list does', async function () {
    const run = await map();
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.split('\n');
    expect(lines).to.include.members([
      'payments/deployment/api => 0.0.0.0/0 except 169.254.169.254/32 : TCP 443',
      'payments/deployment/api => kube-system/deployment/coredns : TCP 53,UDP 53',
      'payments/deployment/api => payments-db/statefulset/postgres : TCP 5432',
      'ingress-nginx/deployment/ingress-nginx-controller => payments/deployment/api : TCP 8443',
      'monitoring/statefulset/prometheus => payments/cronjob/settle : TCP 9090',
      'sandbox/pod/shell => 169.254.169.254/32 : All Connections',
    ]);
    expect(lines.filter((line) => line.startsWith('sandbox/pod/shell => payments/'))).to.deep.equal([]);
    expect(lines.filter((line) => line.startsWith('payments/deployment/api => 169.254.169.254'))).to.deep.equal([]);
  });

  it('prints JSON, Mermaid, dot and an SVG drawn in-process', async function () {
    const json = JSON.parse((await map('-o', 'json')).stdout) as { connections: { src: string; dst: string; conn: string }[]; notModelled: string[] };
    expect(json.connections).to.deep.include({ src: 'payments/deployment/api', dst: 'payments-db/statefulset/postgres', conn: 'TCP 5432', ports: { TCP: [[5432, 5432]], UDP: [], SCTP: [] } });
    const mermaid = (await map('-o', 'mermaid', '--focus', 'payments')).stdout;
    expect(mermaid).to.match(/^flowchart LR\n/);
    expect(mermaid).to.match(/^ {2}subgraph "payments"\n( {4}n\d+\[.*\]\n)* {4}n\d+\["deployment\/api"\]$/m);
    expect(mermaid).to.contain('-->|"TCP 5432"|');
    const dot = (await map('-o', 'dot', '--focus', 'payments')).stdout;
    expect(dot).to.match(/^digraph connectivity \{/);
    const svg = await map('-o', 'svg', '--focus', 'payments');
    expect(svg.code, svg.stderr).to.equal(0);
    expect(svg.stdout).to.match(/<svg [^>]*viewBox=/);
    // Graphviz writes a hyphen as &#45;.
    for (const label of ['deployment/api', 'statefulset/postgres', 'TCP 5432', 'payments&#45;db']) expect(svg.stdout).to.contain(`>${label}</text>`);
  });

  it('--focus keeps one workload\'s connections, its addresses grouped as it sees them', async function () {
    const run = await map('--focus', 'payments-db/sts/postgres');
    expect(run.stdout.trim().split('\n').filter((line) => !line.startsWith('#')).every((line) => line.includes('payments-db/statefulset/postgres'))).to.equal(true);
    expect(run.stdout).to.contain('payments/cronjob/settle => payments-db/statefulset/postgres : TCP 5432');
    // Its addresses are grouped as it sees them: the metadata address is no group of its own here.
    expect(run.stdout).to.contain('payments-db/statefulset/postgres => 0.0.0.0/0 : All Connections');
  });

  it('--isolation says which namespaces reach which', async function () {
    const run = await map('--isolation');
    expect(run.code).to.equal(0);
    expect(run.stdout.split('\n')).to.include.members(['payments => payments-db : TCP 5432', 'payments => kube-system : TCP 53,UDP 53', 'ingress-nginx => payments : TCP 8443']);
    expect(run.stdout).to.not.match(/^sandbox => payments /m);
  });

  it('--diff prints what a change opens and closes, and exits 1 when it opens anything', async function () {
    const [before, after] = changedExample();
    const opens = await palisade('map', '--diff', before, after);
    expect(opens.code).to.equal(1);
    expect(opens.stdout.split('\n').filter(Boolean).sort()).to.deep.equal([
      '+ payments/cronjob/settle => 0.0.0.0/0 except 169.254.169.254/32 : TCP 80',
      '+ payments/cronjob/settle => sandbox/pod/shell : TCP 5432',
      '+ payments/deployment/api => 0.0.0.0/0 except 169.254.169.254/32 : TCP 80',
      '+ payments/deployment/api => sandbox/pod/shell : TCP 5432',
    ]);
    const closes = await palisade('map', '--diff', after, before, '-o', 'json');
    expect(closes.code).to.equal(0);
    const diff = JSON.parse(closes.stdout) as { opened: unknown[]; closed: { src: string; dst: string; conn: string }[] };
    expect(diff.opened).to.deep.equal([]);
    expect(diff.closed.map(({ src, dst, conn }) => `${src} => ${dst} : ${conn}`)).to.include('payments/deployment/api => sandbox/pod/shell : TCP 5432');
    expect((await palisade('map', '--diff', before, before)).stdout).to.equal('no connection opened or closed\n');
  });

  it('--diff shows what a ClusterNetworkPolicy closes: an Admin Deny of the metadata address over an unfenced pod', async function () {
    const [before, after] = changedExample();
    cpSync(join(after, 'workloads.yaml'), join(before, 'workloads.yaml'));
    cpSync(join(before, 'namespaceringfence.yaml'), join(after, 'namespaceringfence.yaml'));
    writeFileSync(join(after, 'cluster-policy.yaml'), `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: no-metadata}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: sandbox}}}
  egress: [{action: Deny, to: [{networks: [169.254.169.254/32]}]}]
`);
    const run = await palisade('map', '--diff', before, after);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout.split('\n').filter(Boolean)).to.deep.equal(['- sandbox/pod/shell => 169.254.169.254/32 : All Connections']);
  });

  it('exits 2 naming what is wrong', async function () {
    const focus = await map('--focus', 'nowhere');
    expect(focus.code).to.equal(2);
    expect(focus.stderr).to.contain('--focus nowhere: no workload in namespace nowhere');
    const diff = await palisade('map', '--diff', 'examples/reachability/');
    expect(diff.code).to.equal(2);
    expect(diff.stderr).to.contain('--diff needs BEFORE AFTER');
    const format = await palisade('map', '--diff', 'examples/reachability/', 'examples/reachability/', '-o', 'svg');
    expect(format.code).to.equal(2);
    expect(format.stderr).to.contain('--diff prints text or json, not svg');
    const focus2 = await palisade('map', '--diff', 'examples/reachability/', 'examples/reachability/', '--focus', 'payments');
    expect(focus2.code).to.equal(2);
    expect(focus2.stderr).to.contain('--diff takes neither --focus nor --isolation');
  });

  it('writes all of a large output to a pipe before it exits', async function () {
    const items = Array.from({ length: 600 }, (_, i) => [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: `team-${i}` }, spec: { containers: [{ name: 'web', image: 'web' }] } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress', namespace: `team-${i}` }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }] } },
    ]).flat();
    const path = join(mkdtempSync(join(tmpdir(), 'palisade-map-large-')), 'world.json');
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const run = await palisade('map', '-f', path, '-o', 'json');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout.length).to.be.greaterThan(1 << 17);
    expect((JSON.parse(run.stdout) as { connections: unknown[] }).connections).to.have.length(600);
  });
});
