import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { heapWarning, HeapWatcher, oldSpaceLimit, type HeapSample } from '../../src/runtime/heap.ts';
import { Metrics } from '../../src/runtime/metrics.ts';

const MiB = 2 ** 20;
const at = (percent: number): HeapSample => ({ usedBytes: percent * MiB, limitBytes: 100 * MiB });

function recordingLogger(lines: Record<string, unknown>[]): winston.Logger {
  return winston.createLogger({
    level: 'debug', format: winston.format.json(),
    transports: [new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    })],
  });
}

describe('heapWarning', function () {
  it('warns when use reaches 90 % of the limit, not below', function () {
    expect(heapWarning(at(89.9), false)).to.deep.equal({ warn: false, warned: false });
    expect(heapWarning(at(90), false)).to.deep.equal({ warn: true, warned: true });
    expect(heapWarning(at(100), false)).to.deep.equal({ warn: true, warned: true });
  });

  it('warns again only after use has fallen below 80 % and risen back to 90 %', function () {
    let warned = false;
    const warnings = [50, 91, 95, 85, 92, 80, 99, 79.9, 85, 90, 70].map((percent) => {
      const next = heapWarning(at(percent), warned);
      warned = next.warned;
      return next.warn;
    });
    expect(warnings).to.deep.equal([false, true, false, false, false, false, false, false, false, true, false]);
  });
});

describe('the heap limit', function () {
  it('takes the last --max-old-space-size, in either spelling, and never more than the heap', function () {
    expect(oldSpaceLimit('--max-semi-space-size=8 --max-old-space-size=128', 152 * MiB)).to.equal(128 * MiB);
    expect(oldSpaceLimit('--max-old-space-size=128 --max_old_space_size 96', 320 * MiB)).to.equal(96 * MiB);
    expect(oldSpaceLimit('--max-old-space-size=9999', 320 * MiB)).to.equal(320 * MiB);
  });

  it('falls back to heap_size_limit without the flag', function () {
    expect(oldSpaceLimit(' --enable-source-maps', 4288 * MiB)).to.equal(4288 * MiB);
  });

  // In a child process: V8's heap flags are fixed when a process starts.
  it('reads the old generation against --max-old-space-size, which heap_size_limit exceeds', function () {
    const script = `import { getHeapStatistics } from 'node:v8';
      import { readHeap } from ${JSON.stringify(new URL('../../src/runtime/heap.ts', import.meta.url).href)};
      console.log(JSON.stringify({ ...readHeap(), heapSizeLimit: getHeapStatistics().heap_size_limit }));`;
    const output = execFileSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=32' }, encoding: 'utf8',
    });
    const { usedBytes, limitBytes, heapSizeLimit } = JSON.parse(output) as HeapSample & { heapSizeLimit: number };
    expect(limitBytes, 'the command line wins over NODE_OPTIONS').to.equal(64 * MiB);
    expect(heapSizeLimit, 'the young generation reserve on top').to.be.greaterThan(limitBytes);
    expect(usedBytes).to.be.within(1, limitBytes);
  });
});

describe('HeapWatcher', function () {
  it('publishes use and limit as gauges, and logs one warning per crossing', async function () {
    const lines: Record<string, unknown>[] = [];
    const metrics = new Metrics();
    const readings = [at(50), at(92.4), at(95)];
    const watcher = new HeapWatcher(recordingLogger(lines), metrics, () => readings.shift()!);
    for (let i = 0; i < 3; i++) watcher.sample();

    const text = await metrics.registry.metrics();
    expect(text).to.include(`palisade_heap_used_bytes ${95 * MiB}`);
    expect(text).to.include(`palisade_heap_limit_bytes ${100 * MiB}`);
    expect(lines.map(({ level, message, usedMiB, limitMiB, percent }) => ({ level, message, usedMiB, limitMiB, percent })))
      .to.deep.equal([{ level: 'warn', message: 'heap nearly full', usedMiB: 92, limitMiB: 100, percent: 92 }]);
  });

  it('samples at start and on its interval until stopped', async function () {
    let reads = 0;
    const watcher = new HeapWatcher(winston.createLogger({ silent: true }), new Metrics(), () => {
      reads++;
      return at(10);
    });
    watcher.start(5);
    expect(reads, 'at start').to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    watcher.stop();
    const stoppedAt = reads;
    expect(stoppedAt).to.be.greaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads, 'after stop').to.equal(stoppedAt);
  });
});
