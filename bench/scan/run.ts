// `palisade scan` over OBJECTS (default 10,000) manifests in one multi-document file, the CLI as
// shipped (bin/palisade.js on dist/, `make build`): objects per second over the whole process, start-up included,
// and its peak RSS, both from GNU time; and, in the same run, the Go oracle (the official
// k8s.io/pod-security-admission evaluator) over the same pods, which checks Pod Security alone.
// Every tenth object is each of Namespace, NetworkPolicy, Service, Role, RoleBinding,
// ServiceAccount, Pod, Deployment, StatefulSet and CronJob; the pods are the oracle test's
// generated ones (harness/pss-oracle/pods.ts), so they fail many different checks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { generatedPods } from '../../harness/pss-oracle/pods.ts';
import { pssOracleBinary, type OracleRequest } from '../../harness/pss-oracle/oracle.ts';
import { timed } from '../timed.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('OBJECTS', 10_000);
// The command as installed: its shebang gives Node its flags.
const cli = new URL('../../bin/palisade.js', import.meta.url).pathname;

type Json = Record<string, unknown>;

const meta = (name: string, namespace: string, labels: Json = {}) => ({ name, namespace, labels });

function workload(kind: string, name: string, namespace: string, pod: OracleRequest['pod']): Json {
  const template = { metadata: { labels: { app: name }, annotations: pod.metadata?.annotations ?? {} }, spec: pod.spec };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { ...meta(name, namespace, { app: name }), annotations: pod.metadata?.annotations ?? {} }, spec: pod.spec };
  if (kind === 'CronJob') return { apiVersion: 'batch/v1', kind, metadata: meta(name, namespace), spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } };
  return { apiVersion: 'apps/v1', kind, metadata: meta(name, namespace), spec: { selector: { matchLabels: { app: name } }, template } };
}

/** Ten objects of namespace `n`, four of them running the next pods. */
function group(n: number, pods: OracleRequest[]): Json[] {
  const namespace = `team-${n}`;
  const podSecurity = n % 3 === 0 ? { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' } : {};
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: podSecurity } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('web', namespace), spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web', namespace), spec: { type: n % 2 ? 'ClusterIP' : 'NodePort', ports: [{ port: 80 }] } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('dev', namespace), rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec', 'secrets'], verbs: ['get', 'list', 'create'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('dev', namespace), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dev' }, subjects: [{ kind: 'Group', name: `team-${n}-devs` }] },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('web', namespace), automountServiceAccountToken: false },
    ...['Pod', 'Deployment', 'StatefulSet', 'CronJob'].map((kind, index) => workload(kind, index === 0 ? 'web' : `${kind.toLowerCase()}-${n}`, namespace, pods[index]!.pod)),
  ];
}

const groups = Math.ceil(COUNT / 10);
const pods = generatedPods(groups * 8).filter((request) => !request.template);
if (pods.length < groups * 4) throw new Error(`only ${pods.length} generated pods for ${groups * 4}`);
const objects = Array.from({ length: groups }, (_, n) => group(n, pods.slice(n * 4, n * 4 + 4))).flat().slice(0, COUNT);
const directory = mkdtempSync(join(tmpdir(), 'palisade-bench-scan-'));
const manifests = join(directory, 'manifests.yaml');
writeFileSync(manifests, objects.map((object) => dump(object, { noRefs: true })).join('---\n'));

const scanArgs = ['scan', '-f', manifests, '-o', 'json', '--fail-on', 'never'];
execFileSync(cli, scanArgs, { stdio: 'ignore' });
const palisade = timed(cli, scanArgs);
const oracleInput = pods.slice(0, groups * 4).map((request) => `${JSON.stringify({ level: 'restricted', version: 'latest', pod: request.pod })}\n`).join('');
const oracle = timed(pssOracleBinary(), [], { input: oracleInput });
rmSync(directory, { recursive: true });
console.log(JSON.stringify({
  benchmark: 'scan', objects: objects.length, pods: groups * 4,
  palisade: { seconds: palisade.seconds, objectsPerSecond: Math.round(objects.length / palisade.seconds), peakMiB: palisade.peakMiB, exit: palisade.status },
  oracle: { seconds: oracle.seconds, podsPerSecond: Math.round((groups * 4) / oracle.seconds), peakMiB: oracle.peakMiB, exit: oracle.status },
}));
