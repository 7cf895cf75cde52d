import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExponentialBackoff, MaxOf, TokenBucket } from '../../src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../src/runtime/workqueue.ts';

const noDelay = () => new ExponentialBackoff(0, 0);

describe('WorkQueue', function () {
  it('queues a key once however often it is added, in first-added order', async function () {
    const queue = new WorkQueue(noDelay());
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).to.equal(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).to.deep.equal(['a', 'b', 'c']);
  });

  it('keeps first-added order and its length through a queue of many thousand keys, added while others are taken', async function () {
    const queue = new WorkQueue(noDelay());
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    keys.slice(0, 3000).forEach((key) => queue.add(key));
    const taken: string[] = [];
    for (let i = 0; i < 2000; i++) taken.push((await queue.get())!);
    keys.slice(3000).forEach((key) => queue.add(key));
    expect(queue.length).to.equal(3000);
    while (queue.length) taken.push((await queue.get())!);
    expect(taken).to.deep.equal(keys);
  });

  it('runs a key added while it is processed once more afterwards, never twice at once', async function () {
    const queue = new WorkQueue(noDelay());
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.length, 'not handed out while held').to.equal(0);
    queue.done(first!);
    expect(queue.length).to.equal(1);
    expect(await queue.get()).to.equal('a');
    queue.done('a');
    expect(queue.length).to.equal(0);
  });

  it('wakes a waiting worker when a key arrives', async function () {
    const queue = new WorkQueue(noDelay());
    const waiting = queue.get();
    queue.add('late');
    expect(await waiting).to.equal('late');
  });

  it('keeps the earliest of several delayed adds of one key', async function () {
    const queue = new WorkQueue(noDelay());
    queue.addAfter('a', 10_000);
    queue.addAfter('a', 20);
    queue.addAfter('a', 5_000);
    expect(queue.length).to.equal(0);
    expect(await queue.get()).to.equal('a');
    queue.done('a');
    await queue.shutDownWithDrain();
  });

  it('backs off a failing key exponentially and forgets it on success', function () {
    const limiter = new ExponentialBackoff(5, 1000);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => limiter.when('k'))).to.deep.equal([5, 10, 20, 40, 80, 160, 320, 640]);
    expect(limiter.when('k')).to.equal(1000);
    expect(limiter.retries('k')).to.equal(9);
    limiter.forget('k');
    expect(limiter.when('k')).to.equal(5);
    expect(limiter.when('other')).to.equal(5);
  });

  it('limits all keys together with a token bucket after its burst', function () {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.when(), bucket.when(), bucket.when()]).to.deep.equal([0, 0, 0]);
    expect(bucket.when()).to.be.closeTo(100, 1e-9);
    now += 1000;
    expect(bucket.when()).to.equal(0);
    const combined = new MaxOf(new ExponentialBackoff(5, 1000), new TokenBucket(10, 1, () => now));
    expect(combined.when('x')).to.equal(5);
    expect(combined.when('y')).to.be.closeTo(100, 1e-9);
  });

  it('counts retries through addRateLimited and resets them with forget', async function () {
    const queue = new WorkQueue(new ExponentialBackoff(1, 1));
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    expect(queue.retries('a')).to.equal(2);
    expect(await queue.get()).to.equal('a');
    queue.forget('a');
    expect(queue.retries('a')).to.equal(0);
  });

  it('on shutdown takes no more keys, releases idle workers and waits for work in flight', async function () {
    const queue = new WorkQueue(noDelay());
    queue.add('a');
    const held = await queue.get();
    const idle = queue.get();
    let drained = false;
    const draining = queue.shutDownWithDrain().then(() => (drained = true));
    queue.add('c');
    expect(await idle).to.equal(undefined);
    await sleep(10);
    expect(drained, 'waits for the key in flight').to.equal(false);
    queue.done(held!);
    await draining;
    expect(await queue.get()).to.equal(undefined);
  });
});
