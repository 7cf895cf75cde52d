import { expect } from 'chai';
import { inParallel } from '../../src/runtime/parallel.ts';

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
