import { expect } from 'chai';
import type { KubeObject } from '../../src/runtime/client.ts';
import type { Condition } from '../../src/runtime/conditions.ts';
import { Metrics, readinessOf } from '../../src/runtime/metrics.ts';

const object = (name: string, namespace: string | undefined, conditions?: Partial<Condition>[]) =>
  ({ metadata: { name, namespace, uid: name, resourceVersion: '1' }, ...(conditions ? { status: { conditions } } : {}) }) as KubeObject;
const ready = (status: Condition['status'], reason: string, lastTransitionTime = '2026-01-02T03:04:05Z'): Partial<Condition>[] =>
  [{ type: 'Progressing', status: 'True', reason: 'Other' }, { type: 'Ready', status, reason, message: '', lastTransitionTime }];

/** The sample lines of `name` in the exposition text. */
async function samples(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('readinessOf', function () {
  it('is 1 only for Ready=True, with the condition\'s reason and transition time', function () {
    expect(readinessOf(object('a', 'ns', ready('True', 'Applied')))).to.deep.equal({ ready: 1, reason: 'Applied', transitionSeconds: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000 });
    expect(readinessOf(object('a', 'ns', ready('False', 'ApplyFailed'))).ready).to.equal(0);
    expect(readinessOf(object('a', 'ns', ready('Unknown', '')))).to.include({ ready: 0, reason: 'Unknown' });
  });

  it('is 0, NoReadyCondition, before the first status or without a Ready condition', function () {
    expect(readinessOf(object('a', 'ns'))).to.deep.equal({ ready: 0, reason: 'NoReadyCondition', transitionSeconds: undefined });
    expect(readinessOf(object('a', 'ns', [{ type: 'Progressing', status: 'True' }]))).to.include({ ready: 0, reason: 'NoReadyCondition' });
    expect(readinessOf({ metadata: { name: 'a', uid: 'a', resourceVersion: '1' }, status: { conditions: 'nonsense' } } as KubeObject).reason).to.equal('NoReadyCondition');
  });
});

describe('Metrics', function () {
  it('exports palisade_object_ready per cached object at each scrape, and forgets an object gone', async function () {
    const metrics = new Metrics();
    let fences = [object('fence', 'team-a', ready('True', 'Applied')), object('fence', 'team-b', ready('False', 'ApplyFailed'))];
    metrics.objectReadiness('NamespaceRingfence', () => fences);
    metrics.objectReadiness('NamespaceRingfence', () => [object('twice', 'x')]);
    metrics.objectReadiness('PodSecurityBaseline', () => [object('baseline', undefined)]);
    expect(await samples(metrics, 'palisade_object_ready')).to.deep.equal([
      'palisade_object_ready{kind="NamespaceRingfence",namespace="team-a",name="fence",reason="Applied"} 1',
      'palisade_object_ready{kind="NamespaceRingfence",namespace="team-b",name="fence",reason="ApplyFailed"} 0',
      'palisade_object_ready{kind="PodSecurityBaseline",namespace="",name="baseline",reason="NoReadyCondition"} 0',
    ]);
    expect(await samples(metrics, 'palisade_object_ready_transition_timestamp_seconds')).to.have.length(2);

    fences = [object('fence', 'team-b', ready('True', 'Applied', '2026-01-02T03:20:00Z'))];
    expect(await samples(metrics, 'palisade_object_ready')).to.deep.equal([
      'palisade_object_ready{kind="NamespaceRingfence",namespace="team-b",name="fence",reason="Applied"} 1',
      'palisade_object_ready{kind="PodSecurityBaseline",namespace="",name="baseline",reason="NoReadyCondition"} 0',
    ]);
    expect(await samples(metrics, 'palisade_object_ready_transition_timestamp_seconds')).to.deep.equal([
      `palisade_object_ready_transition_timestamp_seconds{kind="NamespaceRingfence",namespace="team-b",name="fence"} ${Date.UTC(2026, 0, 2, 3, 20) / 1000}`,
    ]);
  });

  it('exports readiness and its transition time of the same moment in one scrape', async function () {
    const metrics = new Metrics();
    let fences = [object('fence', 'team-a', ready('True', 'Applied', '2026-01-02T03:20:00Z'))];
    metrics.objectReadiness('NamespaceRingfence', () => fences);
    const scrape = async () => (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('palisade_object_ready'));
    expect(await scrape()).to.deep.equal([
      'palisade_object_ready{kind="NamespaceRingfence",namespace="team-a",name="fence",reason="Applied"} 1',
      `palisade_object_ready_transition_timestamp_seconds{kind="NamespaceRingfence",namespace="team-a",name="fence"} ${Date.UTC(2026, 0, 2, 3, 20) / 1000}`,
    ]);
    fences = [];
    expect(await scrape()).to.deep.equal([]);
  });

  it('computes a scraped gauge\'s series at each scrape', async function () {
    const metrics = new Metrics();
    let series = [{ labels: { name: 'a' }, value: 1 }, { labels: { name: 'b' }, value: 2 }];
    metrics.scrapedGauge('test_value', 'A test.', ['name'], () => series);
    expect(await samples(metrics, 'test_value')).to.deep.equal(['test_value{name="a"} 1', 'test_value{name="b"} 2']);
    series = [{ labels: { name: 'b' }, value: 3 }];
    expect(await samples(metrics, 'test_value')).to.deep.equal(['test_value{name="b"} 3']);
  });

  it('exports the build info as one series of value 1', async function () {
    const metrics = new Metrics();
    metrics.buildInfo('palisade_build_info', { version: '1.2.3', commit: 'abc', node_version: 'v24.0.0', tested_kubernetes: 'v1.37.2' });
    expect(await samples(metrics, 'palisade_build_info')).to.deep.equal([
      'palisade_build_info{version="1.2.3",commit="abc",node_version="v24.0.0",tested_kubernetes="v1.37.2"} 1',
    ]);
  });

  it('adds the process and Node metrics by their standard names, once', async function () {
    const metrics = new Metrics();
    metrics.collectProcessMetrics();
    metrics.collectProcessMetrics();
    const text = await metrics.registry.metrics();
    for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(text, name).to.include(`# TYPE ${name} `);
    }
    expect((await samples(metrics, 'process_resident_memory_bytes'))[0]).to.match(/^process_resident_memory_bytes [1-9]\d+$/);
    expect(text.match(/# TYPE process_resident_memory_bytes /g)).to.have.length(1);
  });
});
