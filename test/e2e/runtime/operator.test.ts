// The runtime as a whole, in operator processes against the real control plane: reconciling,
// retries, zero writes in steady state, leader election hand-overs, and an apiserver outage.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlPlane } from '../../../harness/control-plane/control-plane.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk } from '../../../harness/kubectl.ts';
import { useNamespace } from '../../support/namespace.ts';
import { httpGet, metric, startOperator, stopOperator, writeRequests, type OperatorProcess } from '../../../harness/operator.ts';

const echoOperator = new URL('fixtures/echo-operator.ts', import.meta.url).pathname;

function source(name: string, data: Record<string, string>, annotations: Record<string, string> = {}) {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { echo: 'true' }, annotations }, data });
}

async function echoData(kubeconfig: string, namespace: string, name: string): Promise<string> {
  return kubectlOk(kubeconfig, ['get', 'configmap', `${name}-echo`, '-n', namespace, '-o', 'jsonpath={.data}']);
}

const reconcilesOf = (operator: OperatorProcess, name: string) =>
  operator.logs.filter((line) => line.message === 'reconciled' && line.name === name);

describe('operator runtime', function () {
  this.timeout(120_000);
  const ns = useNamespace('runtime');
  let kubeconfig: string;
  const operators: OperatorProcess[] = [];
  const start = async (...args: string[]) => {
    const operator = await startOperator(echoOperator, kubeconfig, args);
    operators.push(operator);
    return operator;
  };

  before(async function () {
    this.timeout(600_000);
    kubeconfig = (await sharedCluster()).kubeconfig;
  });

  afterEach(async function () {
    await Promise.all(operators.splice(0).map((operator) => stopOperator(operator, 'SIGKILL')));
  });

  it('reconciles, logs each outcome, puts drift back and updates in place', async function () {
    const operator = await start('--leader-elect=false');
    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('app', { color: 'blue' }));
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'app')).to.equal('{"color":"blue"}'));
    const uid = await kubectlOk(kubeconfig, ['get', 'configmap', 'app-echo', '-n', ns.name, '-o', 'jsonpath={.metadata.uid}']);

    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('app', { color: 'green' }));
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'app')).to.equal('{"color":"green"}'));
    expect(await kubectlOk(kubeconfig, ['get', 'configmap', 'app-echo', '-n', ns.name, '-o', 'jsonpath={.metadata.uid}'])).to.equal(uid);

    await kubectlOk(kubeconfig, ['delete', 'configmap', 'app-echo', '-n', ns.name]);
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'app')).to.equal('{"color":"green"}'));

    const line = reconcilesOf(operator, 'app').at(-1);
    expect(line).to.include({ level: 'debug', controller: 'echo', kind: 'ConfigMap', namespace: ns.name, name: 'app' });
    expect(line?.durationMs).to.be.a('number');
    expect(await httpGet(operator.port, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
    expect(await httpGet(operator.port, '/healthz')).to.deep.equal({ status: 200, body: 'ok\n' });
  });

  it('is not ready until every object cached at start has been reconciled once', async function () {
    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('slow', { v: '1' }, { 'delay-ms': '3000' }));
    try {
      const operator = await start('--leader-elect=false');
      // Its caches sync within a second; the slow object's reconcile takes 3 s more.
      await eventually(async () => expect((await httpGet(operator.port, '/readyz')).status).to.equal(200), 30_000, 50);
      expect(await echoData(kubeconfig, ns.name, 'slow'), 'written before the first ready answer').to.equal('{"v":"1"}');
      await eventually(() => expect(operator.logs.find((line) => line.message === 'first pass done')).to.have.property('objects').above(0), 2_000);
    } finally {
      await kubectlOk(kubeconfig, ['delete', 'configmap', 'slow', '-n', ns.name]);
    }
  });

  it('retries a failing reconcile with growing delays, and keeps running', async function () {
    const operator = await start('--leader-elect=false');
    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('broken', { a: '1' }, { fail: 'true' }));
    const failures = () => operator.logs.filter((line) => line.message === 'reconcile failed' && line.name === 'broken');
    await eventually(() => expect(failures().length).to.be.at.least(6), 30_000);

    const times = failures().map((line) => Date.parse(line.timestamp as string));
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(failures().map((line) => line.retries).slice(0, 6)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(gaps.at(-1)).to.be.greaterThan(gaps[0]!);
    expect(failures()[0]?.error).to.equal('broken is annotated fail=true');
    expect(await metric(operator.port, 'controller_runtime_reconcile_errors_total', { controller: 'echo' })).to.be.at.least(6);

    await kubectlOk(kubeconfig, ['annotate', 'configmap', 'broken', '-n', ns.name, 'fail-']);
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'broken')).to.equal('{"a":"1"}'), 30_000);
    expect(operator.child.exitCode).to.equal(null);
  });

  it('makes zero writes when a resync finds nothing changed', async function () {
    const operator = await start('--leader-elect=false', '--resync=2');
    const names = ['s1', 's2', 's3', 's4', 's5'];
    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], names.map((name) => source(name, { name })).join('\n'));
    for (const name of names) await eventually(async () => expect(await echoData(kubeconfig, ns.name, name)).to.equal(`{"name":"${name}"}`));

    const before = { writes: await writeRequests(operator.port), reconciles: reconcilesOf(operator, 's1').length };
    await eventually(() => expect(reconcilesOf(operator, 's1').length).to.be.at.least(before.reconciles + 2), 20_000);
    expect(await writeRequests(operator.port), 'write requests across two resyncs').to.equal(before.writes);
    expect(before.writes).to.be.at.least(names.length);
  });

  it('lets only the leader reconcile, and hands over on SIGKILL within the lease and on SIGTERM at once', async function () {
    this.timeout(180_000);
    const election = ['--leader-elect=true', `--leader-election-namespace=${ns.name}`, '--leader-election-id=echo'];
    const first = await start(...election);
    await eventually(() => expect(first.logs.some((line) => line.message === 'leading')).to.equal(true), 30_000);
    const second = await start(...election);
    await eventually(async () => expect((await httpGet(second.port, '/readyz')).status).to.equal(200), 30_000);

    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('led', { v: '1' }));
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'led')).to.equal('{"v":"1"}'));
    expect(reconcilesOf(second, 'led'), 'the standby reconciles nothing').to.deep.equal([]);
    expect(await metric(second.port, 'leader_election_master_status')).to.equal(0);
    expect(await metric(first.port, 'leader_election_master_status')).to.equal(1);

    const killedAt = Date.now();
    await stopOperator(first, 'SIGKILL');
    await eventually(() => expect(second.logs.some((line) => line.message === 'leading')).to.equal(true), 40_000, 100);
    const takeOverMs = Date.now() - killedAt;
    expect(takeOverMs, 'lease duration (15 s) plus a few seconds').to.be.below(21_000);

    await kubectlOk(kubeconfig, ['apply', '-n', ns.name, '-f', '-'], source('led', { v: '2' }));
    await eventually(async () => expect(await echoData(kubeconfig, ns.name, 'led')).to.equal('{"v":"2"}'));

    const third = await start(...election);
    await eventually(async () => expect((await httpGet(third.port, '/readyz')).status).to.equal(200), 30_000);
    const terminatedAt = Date.now();
    expect(await stopOperator(second, 'SIGTERM'), 'exit code after SIGTERM').to.equal(0);
    await eventually(() => expect(third.logs.some((line) => line.message === 'leading')).to.equal(true), 20_000, 100);
    expect(Date.now() - terminatedAt, 'the released lease is taken within a retry period').to.be.below(5_000);
  });
});

describe('operator runtime across apiserver outages', function () {
  this.timeout(300_000);
  let plane: ControlPlane;
  let operator: OperatorProcess | undefined;
  const operators: OperatorProcess[] = [];

  before(async function () {
    plane = await ControlPlane.start();
  });

  after(async function () {
    await Promise.all([...operators, ...(operator ? [operator] : [])].map((o) => stopOperator(o, 'SIGKILL')));
    await plane?.stop();
  });

  it('stops a leader that cannot renew its lease before the standby can take it, and exits 1', async function () {
    const second = await plane.addApiServer({ address: '127.0.0.2' });
    const election = ['--leader-elect=true', '--leader-election-namespace=default', '--leader-election-id=cut-off'];
    const leader = await startOperator(echoOperator, await plane.adminKubeconfigFor(second), election);
    operators.push(leader);
    await eventually(() => expect(leader.logs.some((line) => line.message === 'leading')).to.equal(true), 30_000);
    const standby = await startOperator(echoOperator, plane.kubeconfig, election);
    operators.push(standby);
    await eventually(async () => expect((await httpGet(standby.port, '/readyz')).status).to.equal(200), 30_000);

    await second.process.stop();
    expect(await leader.exited, 'the cut-off leader exits 1').to.equal(1);
    await eventually(() => expect(standby.logs.some((line) => line.message === 'leading')).to.equal(true), 30_000);
    const stoppedLeading = Date.parse(leader.logs.find((line) => line.message === 'stopped leading')?.timestamp as string);
    const tookOver = Date.parse(standby.logs.find((line) => line.message === 'leading')?.timestamp as string);
    expect(tookOver, 'the standby leads only after the old leader stopped').to.be.greaterThan(stoppedLeading);
    await plane.startApiServer(second);
  });

  it('recovers every informer without a restart and reconciles what changed after', async function () {
    operator = await startOperator(echoOperator, plane.kubeconfig, ['--leader-elect=false']);
    await kubectlOk(plane.kubeconfig, ['apply', '-n', 'default', '-f', '-'], source('survivor', { v: '1' }));
    await eventually(async () => expect(await echoData(plane.kubeconfig, 'default', 'survivor')).to.equal('{"v":"1"}'));

    const [apiServer] = plane.apiServers;
    await apiServer!.process.stop();
    await sleep(20_000);
    expect((await kubectl(plane.kubeconfig, ['get', 'ns', '--request-timeout=2s'])).code).to.not.equal(0);
    await plane.startApiServer(apiServer!);

    await kubectlOk(plane.kubeconfig, ['apply', '-n', 'default', '-f', '-'], source('survivor', { v: '2' }));
    await eventually(async () => expect(await echoData(plane.kubeconfig, 'default', 'survivor')).to.equal('{"v":"2"}'), 60_000);
    await eventually(async () => expect((await httpGet(operator!.port, '/readyz')).status).to.equal(200), 60_000);
    expect(operator.child.exitCode).to.equal(null);
    expect(operator.logs.some((line) => line.message === 'list or watch failed, retrying')).to.equal(true);
  });
});
