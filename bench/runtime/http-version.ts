// HTTP/1.1 against HTTP/2 to kube-apiserver, the choice in src/runtime/client.ts: the same
// server-side applies of NetworkPolicies (REQUESTS per phase, IN_FLIGHT at a time: 2 as the
// PodSecurityBaseline namespace workers make them, 16 as the ringfence operator's workers, 64 as
// the benchmarks' direct phases), sent through an undici Agent with and without HTTP/2, phases
// alternating (ROUNDS of each, the order swapped every round) so that a drift of the machine
// weighs on both. Per phase: seconds, this process's CPU and kube-apiserver's; then each
// version's medians.
import { Agent } from 'undici';
import { KubeClient } from '../../src/runtime/client.ts';
import { loadCredentials, type Credentials } from '../../src/runtime/credentials.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { alternating } from '../alternating.ts';
import { timed } from '../operator.ts';
import { createNamespaces, namespaceObjects, startBenchControlPlane } from '../cluster.ts';
import { countSetting, countsSetting } from '../settings.ts';

const REQUESTS = countSetting('REQUESTS', 3000);
const CONCURRENCIES = countsSetting('IN_FLIGHT', [2, 16, 64]);
const ROUNDS = countSetting('ROUNDS', 4);
const NAMESPACES = 20;

type Version = 'HTTP/1.1' | 'HTTP/2';

/** REQUESTS applies of new NetworkPolicies named `prefix-*`, `inFlight` at a time, on a new Agent of `version`. */
async function phase(credentials: Credentials, version: Version, inFlight: number, prefix: string, apiserverPid: number) {
  const agent = new Agent({ connect: credentials.tls, allowH2: version === 'HTTP/2', keepAliveTimeout: 60_000 });
  const { origin } = new URL(credentials.server);
  const send = async (name: string, namespace: string) => {
    const body = JSON.stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, labels: { bench: 'http-version' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    const response = await agent.request({
      origin, method: 'PATCH', body,
      path: `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${name}?fieldManager=bench&force=true`,
      headers: { ...(await credentials.headers()), accept: 'application/json', 'content-type': 'application/apply-patch+yaml' },
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 && response.statusCode !== 201) throw new Error(`${version} apply ${namespace}/${name}: ${response.statusCode} ${text}`);
    JSON.parse(text);
  };
  const requests = (count: number, name: string) => inParallel(Array.from({ length: count }, (_, i) => i), inFlight, (i) => send(`${name}-${i}`, `http-${i % NAMESPACES}`));
  try {
    // Connected before the clock, as a running operator is: as many connections as requests in
    // flight over HTTP/1.1, the one over HTTP/2.
    await requests(inFlight, `${prefix}-warm`);
    const { seconds, cpuSeconds } = await timed({ client: process.pid, apiserver: apiserverPid }, () => requests(REQUESTS, prefix));
    return { seconds, clientCpuSeconds: cpuSeconds.client!, apiserverCpuSeconds: cpuSeconds.apiserver! };
  } finally {
    await agent.close();
  }
}

const plane = await startBenchControlPlane();
try {
  const credentials = await loadCredentials(plane.kubeconfig);
  const setup = new KubeClient(credentials);
  await createNamespaces(setup, namespaceObjects('http', NAMESPACES));
  await setup.close();
  const apiserverPid = plane.pids['kube-apiserver-0']!;
  const results = [];
  for (const inFlight of CONCURRENCIES) {
    const versions = ['HTTP/1.1', 'HTTP/2'] as const;
    results.push({ inFlight, ...await alternating(versions, ROUNDS, (version, round) =>
      phase(credentials, version, inFlight, `c${inFlight}-r${round}-${version === 'HTTP/2' ? 'h2' : 'h1'}`, apiserverPid)) });
  }
  console.log(JSON.stringify({ benchmark: 'http-version', requestsPerPhase: REQUESTS, rounds: ROUNDS, results }));
} finally {
  await plane.stop();
}
