// /metrics as shipped, on the real control plane: HTTPS, a bearer token authenticated by the API
// server (TokenReview) and authorized for get on /metrics (SubjectAccessReview), by the operator
// running as its ServiceAccount with exactly config/rbac; the probes stay plain, unauthenticated HTTP.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installCrds } from '../../../harness/crds.ts';
import { kubectlOk } from '../../../harness/kubectl.ts';
import { httpGet, httpsGet, metricsPort, secureMetricsFlags, stopOperator, type OperatorProcess } from '../../../harness/operator.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { startPalisadeOperator } from '../../support/least-privilege.ts';
import { useNamespace } from '../../support/namespace.ts';

const SERVICE_NAME = 'palisade-operator-metrics.palisade-system.svc';

/** A token of ServiceAccount `name` in `namespace`, from the TokenRequest API. */
const tokenOf = async (kubeconfig: string, namespace: string, name: string) =>
  (await kubectlOk(kubeconfig, ['create', 'token', name, '-n', namespace, '--duration=10m'])).trim();

/** A certificate and key as cert-manager would leave them in a Secret volume: tls.crt and tls.key. */
async function writeCertificate(dir: string, dnsName: string): Promise<string> {
  const staging = await mkdtemp(join(tmpdir(), 'palisade-metrics-cert-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${dnsName}`, '-addext', `subjectAltName=DNS:${dnsName}`, '-keyout', join(staging, 'tls.key'), '-out', join(staging, 'tls.crt')]);
  // Each file replaced whole, the key first: the operator may read between the two.
  for (const file of ['tls.key', 'tls.crt']) await rename(join(staging, file), join(dir, file));
  return readFile(join(dir, 'tls.crt'), 'utf8');
}

describe('/metrics over HTTPS with TokenReview and SubjectAccessReview', function () {
  this.timeout(120_000);
  const ns = useNamespace('metrics-auth');
  let kubeconfig: string;
  let operator: OperatorProcess | undefined;
  const bindings: string[] = [];

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
    await installCrds(kubeconfig);
  });

  beforeEach(async function () {
    await kubectlOk(kubeconfig, ['create', 'serviceaccount', 'prometheus', '-n', ns.name]);
    await kubectlOk(kubeconfig, ['create', 'serviceaccount', 'stranger', '-n', ns.name]);
  });

  afterEach(async function () {
    if (operator) await stopOperator(operator, 'SIGKILL');
    operator = undefined;
    for (const name of bindings.splice(0)) await kubectlOk(kubeconfig, ['delete', 'clusterrolebinding', name, '--ignore-not-found']);
  });

  const start = async (...args: string[]) => {
    operator = await startPalisadeOperator(await sharedCluster(), ['--leader-elect=false', ...await secureMetricsFlags(), ...args]);
    return operator;
  };

  const bindReader = async (serviceAccount: string) => {
    const name = `palisade-metrics-reader-${ns.name}`;
    bindings.push(name);
    await kubectlOk(kubeconfig, ['create', 'clusterrolebinding', name, '--clusterrole=palisade-metrics-reader', `--serviceaccount=${ns.name}:${serviceAccount}`]);
  };

  it('answers 401 without a valid token, 403 to a ServiceAccount not bound, and the metrics once it is bound to palisade-metrics-reader', async function () {
    const running = await start();
    const port = metricsPort(running);
    expect(port, 'a port of its own').to.not.equal(running.port);

    const anonymous = await httpsGet(port, '/metrics');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers['www-authenticate']).to.equal('Bearer');
    expect((await httpsGet(port, '/metrics', { token: 'not-a-token' })).status).to.equal(401);
    // Another path is not served there, and says so before any review (no token needed, none asked for).
    expect((await httpsGet(port, '/debug/pprof', { token: 'not-a-token' })).status).to.equal(404);
    expect((await httpsGet(port, '/healthz')).status).to.equal(404);

    const stranger = await httpsGet(port, '/metrics', { token: await tokenOf(kubeconfig, ns.name, 'stranger') });
    expect(stranger.status).to.equal(403);
    expect(stranger.body).to.equal(`Forbidden: user "system:serviceaccount:${ns.name}:stranger" may not get /metrics\n`);

    const token = await tokenOf(kubeconfig, ns.name, 'prometheus');
    expect((await httpsGet(port, '/metrics', { token })).status, 'before the binding').to.equal(403);
    await bindReader('prometheus');
    // A refusal is cached for 10 s, and the binding takes a moment to reach the authorizer.
    const scrape = await eventually(async () => {
      const answer = await httpsGet(port, '/metrics', { token });
      expect(answer.status).to.equal(200);
      return answer;
    }, 30_000, 500);
    expect(scrape.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(scrape.body).to.include('# TYPE palisade_api_requests_total counter');
    expect(scrape.body).to.match(/^palisade_api_requests_total\{verb="create",resource="tokenreviews",code="201"\} \d+$/m);
    expect(scrape.body).to.match(/^palisade_api_requests_total\{verb="create",resource="subjectaccessreviews",code="201"\} \d+$/m);
    expect((await httpsGet(port, '/metrics', { token: await tokenOf(kubeconfig, ns.name, 'stranger') })).status, 'still').to.equal(403);

    // The probes: plain HTTP on their own port, no token; /metrics is not served there.
    await eventually(async () => expect(await httpGet(running.port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' }), 30_000);
    expect(await httpGet(running.port, '/healthz')).to.deep.equal({ status: 200, body: 'ok\n' });
    expect((await httpGet(running.port, '/metrics')).status).to.equal(404);
    expect(running.logs.map((line) => JSON.stringify(line)).join('\n'), 'no token in the log').to.not.include(token);
  });

  it('serves a self-signed certificate naming the metrics Service, which a client reaching the Service by name verifies', async function () {
    const port = metricsPort(await start());
    const { certificate } = await httpsGet(port, '/metrics');
    expect(certificate.subjectAltName).to.include(`DNS:${SERVICE_NAME}`).and.include(`DNS:${SERVICE_NAME}.cluster.local`);
    expect(certificate.verify(certificate.publicKey), 'self-signed').to.equal(true);

    const verified = await httpsGet(port, '/metrics', { ca: certificate.toString(), servername: SERVICE_NAME });
    expect(verified.status).to.equal(401);
    const error = await httpsGet(port, '/metrics', { ca: certificate.toString(), servername: 'elsewhere.example' }).then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('serves the certificate of --metrics-cert-path, and the new one after it changes on disk', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-metrics-certs-'));
    const first = await writeCertificate(dir, 'metrics.first.example');
    const running = await start(`--metrics-cert-path=${dir}`);
    const port = metricsPort(running);
    await bindReader('prometheus');
    const token = await tokenOf(kubeconfig, ns.name, 'prometheus');

    const scrape = await eventually(async () => {
      const answer = await httpsGet(port, '/metrics', { token, ca: first, servername: 'metrics.first.example' });
      expect(answer.status).to.equal(200);
      return answer;
    }, 30_000, 500);
    expect(scrape.certificate.fingerprint256).to.equal(new X509Certificate(first).fingerprint256);
    expect(scrape.body).to.include('controller_runtime_reconcile_total');

    const second = await writeCertificate(dir, 'metrics.second.example');
    await eventually(() => expect(running.logs.some((line) => line.message === 'metrics certificate reloaded')).to.equal(true), 30_000, 500);
    const renewed = await httpsGet(port, '/metrics', { token, ca: second, servername: 'metrics.second.example' });
    expect([renewed.status, renewed.certificate.fingerprint256]).to.deep.equal([200, new X509Certificate(second).fingerprint256]);
  });

  it('refuses to start with a --metrics-cert-path that holds no certificate', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-metrics-empty-'));
    await writeFile(join(dir, 'tls.crt'), 'not a certificate');
    const failed = await start(`--metrics-cert-path=${dir}`).then(() => undefined, (error: Error) => error.message);
    expect(failed).to.equal('operator exited with 1 before starting');
  });
});
