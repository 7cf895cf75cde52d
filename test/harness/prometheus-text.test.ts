import { expect } from 'chai';
import { samples, sumOf } from '../../harness/prometheus-text.ts';

const BODY = [
  '# HELP apiserver_request_total Counter of apiserver requests.',
  '# TYPE apiserver_request_total counter',
  'apiserver_request_total{code="200",resource="namespaces",verb="APPLY"} 12',
  'apiserver_request_total{code="201",resource="namespaces",verb="APPLY"} 3',
  'apiserver_request_total{code="200",resource="namespaces",verb="APPLY",subresource="status"} 5',
  '',
  'process_start_time_seconds 1.7e9',
  'event_total{message="said \\"no\\"\\\\ then\\nleft",reason="x"} 2 1700000000000',
  'apiserver_request_total_extra{verb="APPLY"} 100',
  'request_duration_seconds_bucket{le="+Inf",path="/a} 5"}\t7\r',
  'gauge_extremes{which="high"} +Inf',
  'gauge_extremes{which="low"} -Inf',
  'gauge_extremes{which="none"} NaN',
  'tiny_total 1.5E-3',
].join('\n');

describe('harness/prometheus-text', function () {
  it('reads a sample with no labels, and skips HELP, TYPE and blank lines', function () {
    expect(samples(BODY, ['process_start_time_seconds'])).to.deep.equal([{ name: 'process_start_time_seconds', labels: {}, value: 1.7e9 }]);
    expect(samples(BODY)).to.have.length(11);
  });

  it('unescapes label values and reads a sample that carries a timestamp', function () {
    expect(samples(BODY, ['event_total'])).to.deep.equal([{ name: 'event_total', labels: { message: 'said "no"\\ then\nleft', reason: 'x' }, value: 2 }]);
  });

  it('reads a label value holding a brace and a space, tabs and a carriage return, and the special values', function () {
    expect(samples(BODY, ['request_duration_seconds_bucket'])).to.deep.equal([
      { name: 'request_duration_seconds_bucket', labels: { le: '+Inf', path: '/a} 5' }, value: 7 },
    ]);
    expect(samples(BODY, ['gauge_extremes']).map(({ value }) => value)).to.deep.equal([Infinity, -Infinity, Number.NaN]);
    expect(sumOf(BODY, 'tiny_total')).to.equal(0.0015);
  });

  it('fails on a wanted line that is not a sample, rather than miss it', function () {
    expect(() => samples('broken{a="b"}', ['broken'])).to.throw(/not a Prometheus sample: broken/);
    expect(() => samples('broken 12abc', ['broken'])).to.throw(/not a Prometheus sample value/);
    expect(samples('broken 12abc', ['other'])).to.deep.equal([]);
  });

  it('sums the series whose labels include each one given, exactly, and no metric whose name only starts alike', function () {
    expect(sumOf(BODY, 'apiserver_request_total')).to.equal(20);
    expect(sumOf(BODY, 'apiserver_request_total', { code: '200' })).to.equal(17);
    expect(sumOf(BODY, 'apiserver_request_total', { code: '20' })).to.equal(0);
    expect(sumOf(BODY, 'apiserver_request_total', { subresource: 'status' })).to.equal(5);
    expect(sumOf(BODY, 'event_total', { message: 'said "no"\\ then\nleft' })).to.equal(2);
  });
});
