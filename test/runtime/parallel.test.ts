import { expect } from 'chai';
import { inParallel, mapInParallel } from '../../src/runtime/parallel.ts';

describe('inParallel', function () {
  it('runs every item once, never more than inFlight at a time', async function () {
    const done: number[] = [];
    let running = 0;
    let most = 0;
    await inParallel(Array.from({ length: 20 }, (_, i) => i), 3, async (item) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, item % 4));
      running--;
      done.push(item);
    });
    expect(done.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(most).to.equal(3);
  });

  it('rejects with the failure of an item', async function () {
    const failing = inParallel([1, 2, 3], 2, (item) => item === 2 ? Promise.reject(new Error('two')) : Promise.resolve());
    await failing.then(() => expect.fail('resolved'), (error: Error) => expect(error.message).to.equal('two'));
  });
});

describe('mapInParallel', function () {
  it('gives each item\'s result in the items\' order, however they finish, never more than inFlight at a time', async function () {
    let running = 0;
    let most = 0;
    const results = await mapInParallel(Array.from({ length: 12 }, (_, i) => i), 4, async (item) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, (12 - item) % 5));
      running--;
      return item * 10;
    });
    expect(results).to.deep.equal(Array.from({ length: 12 }, (_, i) => i * 10));
    expect(most).to.equal(4);
    expect(await mapInParallel([], 4, () => Promise.resolve(1))).to.deep.equal([]);
  });
});
