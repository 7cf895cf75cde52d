// src/podsecurity judges Pods as the real API server's own Pod Security admission does: each pod of a
// seeded sample of generated Pods (harness/pss-oracle/pods.ts) and of a few written by hand goes, as a
// server dry run, to a namespace that enforces its level and version. The server must allow exactly
// the pods that evaluate() allows, and refuse the others for the policy of the namespace's labels, with
// forbiddenDetail()'s words. Pods that validation refuses (422) never reach Pod Security: they are
// left out of the comparison, and counted.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { clientFor } from '../../../harness/client.ts';
import type { OracleRequest } from '../../../harness/pss-oracle/oracle.ts';
import { generatedPods } from '../../../harness/pss-oracle/pods.ts';
import { evaluate, forbiddenDetail, type Level, type PodSpec } from '../../../src/podsecurity/index.ts';
import { namespaces as NAMESPACES, pods as PODS, serviceAccounts as SERVICE_ACCOUNTS } from '../../../src/kubernetes/resources.ts';
import { ApiError, type KubeClient } from '../../../src/runtime/client.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';


const GENERATED = 250;
// The generator writes pods for an evaluator that validates nothing: about 40% of its whole Pods are
// not valid Pods (ephemeral containers on create, Linux fields in Windows pods, privileged containers
// with allowPrivilegeEscalation false, empty sysctl names, ...).
const COMPARED_PERCENT = 55;
const PSA = 'pod-security.kubernetes.io/';
const VIOLATION = /violates PodSecurity "([a-z]+:[^"]+)": (.*)$/s;

type Sample = Omit<OracleRequest, 'template'> & { name: string };
type Answer = { verdict: 'allowed' } | { verdict: 'refused'; policy: string; detail: string } | { verdict: 'invalid'; message: string };

const written = (name: string, level: Level, version: string, spec: PodSpec & Record<string, unknown>, annotations?: Record<string, string>): Sample =>
  ({ name, level, version, pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec } });
const container = (securityContext: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  ({ name: 'c', image: 'registry.k8s.io/pause', securityContext, ...extra });
const privileged = { containers: [container({ privileged: true })] };
const restricted = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [container({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })],
};

const WRITTEN: Sample[] = [
  written('privileged', 'baseline', 'latest', privileged),
  written('privileged', 'restricted', 'v1.37', privileged),
  written('privileged', 'privileged', 'latest', { ...privileged, hostPID: true }),
  written('host-path', 'baseline', 'v1.25', { containers: [container()], volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
  written('host-ports', 'baseline', 'latest', { containers: [container({}, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9, hostPort: 10 }] })] }),
  written('host-network-ports', 'baseline', 'latest', { hostNetwork: true, containers: [container({}, { ports: [{ containerPort: 8080 }] })] }),
  written('apparmor-field', 'baseline', 'latest', { containers: [container({ appArmorProfile: { type: 'Unconfined' } })] }),
  written('apparmor-annotation', 'baseline', 'latest', { containers: [container()] }, { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' }),
  written('unconfined', 'restricted', 'latest', { containers: [container()] }),
  written('restricted', 'restricted', 'latest', restricted),
  written('restricted', 'restricted', 'v1.0', restricted),
  written('restricted-host-path', 'restricted', 'v1.40', { ...restricted, volumes: [{ name: 'v', hostPath: { path: '/var/run' } }] }),
];

/** The whole Pods of the generated corpus (a template is no Pod), then the written ones. */
const SAMPLE: Sample[] = [
  ...generatedPods(GENERATED).flatMap(({ template, ...request }, index) => (template ? [] : [{ ...request, name: `generated-${index}` }])),
  ...WRITTEN,
];

const policyOf = ({ level, version }: Sample) => `${level}:${version}`;

/** The server's answer to creating `sample` in `namespace`, nothing stored. */
async function admit(client: KubeClient, namespace: string, { name, pod }: Sample): Promise<Answer> {
  try {
    await client.create(PODS, { ...pod, metadata: { ...pod.metadata, name, namespace } }, { dryRun: true });
    return { verdict: 'allowed' };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const [, policy, detail] = VIOLATION.exec(error.message) ?? [];
    if (error.code === 403 && policy && detail !== undefined) return { verdict: 'refused', policy, detail };
    // Only validation may refuse a pod before Pod Security reads it: any other refusal fails the test.
    if (error.code !== 422 || error.reason !== 'Invalid' || error.message.includes('PodSecurity')) throw error;
    return { verdict: 'invalid', message: error.message };
  }
}

describe('src/podsecurity agrees with the API server\'s Pod Security admission, pod by pod', function () {
  this.timeout(300_000);
  const tenant = randomBytes(3).toString('hex');
  const namespaces = new Map<string, string>();
  let client: KubeClient;
  let answers: Answer[];

  before(async function () {
    client = await clientFor((await sharedCluster()).kubeconfig);
    for (const sample of SAMPLE) {
      if (namespaces.has(policyOf(sample))) continue;
      const name = `pss-admission-${tenant}-${sample.level}-${sample.version.replace('.', '-')}`;
      const metadata = { name, labels: { [`${PSA}enforce`]: sample.level, [`${PSA}enforce-version`]: sample.version } };
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata });
      namespaces.set(policyOf(sample), name);
    }
    // The ServiceAccount admission plugin refuses pods until their namespace has its default account.
    for (const name of namespaces.values()) await eventually(() => client.get(SERVICE_ACCOUNTS, 'default', name), 60_000);
    answers = [];
    for (let start = 0; start < SAMPLE.length; start += 16) {
      const batch = SAMPLE.slice(start, start + 16);
      answers.push(...await Promise.all(batch.map((sample) => admit(client, namespaces.get(policyOf(sample))!, sample))));
    }
  });

  after(async function () {
    for (const name of namespaces.values()) await client?.delete(NAMESPACES, name);
    await client?.close();
  });

  it('samples pods at every level and many versions, that the server allows and refuses', function () {
    expect(SAMPLE.length).to.be.within(150, 300);
    expect(new Set(SAMPLE.map(({ level }) => level)).size).to.equal(3);
    expect(namespaces.size).to.be.at.least(20);
    expect(new Set(answers.map(({ verdict }) => verdict))).to.include.members(['allowed', 'refused']);
  });

  it(`compares at least ${COMPARED_PERCENT}% of the sample: validation refuses the rest`, function () {
    const invalid = answers.flatMap((answer, index) => (answer.verdict === 'invalid' ? [`${SAMPLE[index]!.name}: ${answer.message}`] : []));
    expect(SAMPLE.length - invalid.length, `${invalid.length} of ${SAMPLE.length} pods invalid:\n${invalid.join('\n')}\n`)
      .to.be.at.least(SAMPLE.length * COMPARED_PERCENT / 100);
  });

  it('allows exactly the pods evaluate() allows, and refuses the others with forbiddenDetail()\'s words', function () {
    const disagreements = SAMPLE.flatMap((sample, index) => {
      const server = answers[index]!;
      if (server.verdict === 'invalid') return [];
      const { allowed, failures } = evaluate(sample.pod, { level: sample.level, version: sample.version, podObject: true });
      const ours = allowed ? { verdict: 'allowed' } : { verdict: 'refused', policy: policyOf(sample), detail: forbiddenDetail(failures) };
      if (JSON.stringify(server) === JSON.stringify(ours)) return [];
      return [`${sample.name} at ${policyOf(sample)}: ${JSON.stringify(sample.pod)}\n  server: ${JSON.stringify(server)}\n  ours:   ${JSON.stringify(ours)}`];
    });
    expect(disagreements, `${disagreements.length} pods differ:\n${disagreements.join('\n')}\n`).to.deep.equal([]);
  });
});
