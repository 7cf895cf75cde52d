// `palisade map` and `map --isolation` over NAMESPACES namespaces (default 1,000 and 10,000), each
// with one pod and the benchmark ringfence (bench/ringfence/spec.ts, the examples' shape), the CLI
// as shipped (bin/palisade.js on dist/, `make build`), timed as whole processes by GNU time; and in
// the same run, on the same input, netpol-analyzer v1.4.4's `list -o json` (harness/netpol-oracle),
// up to ORACLE_LIMIT namespaces (default 1,000: it grows quadratically, 33 s there). Two inputs:
// the ringfences' NetworkPolicies as manifests (what both tools read), and the ringfences
// themselves (palisade renders them first, with the operator's code).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netpolAnalyzer } from '../../harness/netpol-oracle/oracle.ts';
import { render } from '../../src/controllers/namespaceringfence/render.ts';
import { BENCH_SPEC } from '../ringfence/spec.ts';
import { timed } from '../timed.ts';
import { countSetting, countsSetting } from '../settings.ts';

const SIZES = countsSetting('NAMESPACES', [1000, 10000]);
const ORACLE_LIMIT = countSetting('ORACLE_LIMIT', 1000, 0);
const cli = new URL('../../bin/palisade.js', import.meta.url).pathname;

const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } } });

function pod(name: string, ns: string, labels: Record<string, string>, index: number) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'registry.example/app:1', ports: [{ name: 'https', containerPort: 8443 }] }] },
    status: { phase: 'Running', podIP: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, hostIP: '192.168.0.1' },
  };
}

/** The shared namespaces (DNS, the ingress controller, the database) and `size` fenced tenants. */
function world(size: number) {
  const shared = [
    namespace('kube-system'), pod('coredns', 'kube-system', { 'k8s-app': 'kube-dns' }, 1),
    namespace('ingress-nginx'), pod('controller', 'ingress-nginx', { app: 'ingress-nginx' }, 2),
    namespace('db'), pod('postgres', 'db', { app: 'postgres' }, 3),
  ];
  const tenants = Array.from({ length: size }, (_, i) => {
    const name = `team-${i}`;
    const ringfence = { apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name: 'ringfence', namespace: name }, spec: BENCH_SPEC };
    return { objects: [namespace(name), pod('web', name, { app: 'web' }, 256 + i)], ringfence, policies: render({ metadata: { name: 'ringfence', namespace: name }, spec: BENCH_SPEC }).networkPolicies };
  });
  return {
    policies: [...shared, ...tenants.flatMap((t) => [...t.objects, ...t.policies])],
    ringfences: [...shared, ...tenants.flatMap((t) => [...t.objects, t.ringfence])],
  };
}

const write = (directory: string, objects: object[]) => writeFileSync(join(directory, 'world.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

const row = (run: ReturnType<typeof timed>) => ({ seconds: run.seconds, peakMiB: run.peakMiB, exit: run.status });

for (const size of SIZES) {
  const { policies, ringfences } = world(size);
  const policyDir = mkdtempSync(join(tmpdir(), 'palisade-bench-map-'));
  const ringfenceDir = mkdtempSync(join(tmpdir(), 'palisade-bench-map-rf-'));
  write(policyDir, policies);
  write(ringfenceDir, ringfences);
  const map = timed(cli, ['map', '-f', policyDir, '-o', 'json'], { keepOutput: true });
  const connections = (JSON.parse(map.stdout) as { connections: unknown[] }).connections.length;
  const result: Record<string, unknown> = {
    benchmark: 'reachability', namespaces: size, objects: policies.length, connections,
    map: row(map),
    isolation: row(timed(cli, ['map', '--isolation', '-f', policyDir, '-o', 'json'])),
    mapFromRingfences: row(timed(cli, ['map', '-f', ringfenceDir, '-o', 'json'])),
  };
  if (size <= ORACLE_LIMIT) {
    const list = timed(netpolAnalyzer(), ['netpolicy', 'list', '--dirpath', policyDir, '-o', 'json'], { keepOutput: true });
    result.netpolAnalyzerList = { ...row(list), connections: (JSON.parse(list.stdout) as unknown[]).length };
    result.speedup = Math.round((list.seconds / map.seconds) * 10) / 10;
  }
  rmSync(policyDir, { recursive: true });
  rmSync(ringfenceDir, { recursive: true });
  console.log(JSON.stringify(result));
}
