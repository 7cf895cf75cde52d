// Work-queue throughput: keys per second through add → get → done with several workers, with
// repeated adds of the same keys (deduplicated) as an informer's events would cause.
import { ExponentialBackoff } from '../../src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../src/runtime/workqueue.ts';

const KEYS = 10_000;
const ROUNDS = 50;
const WORKERS = 4;

async function run(): Promise<{ processed: number; seconds: number }> {
  const queue = new WorkQueue(new ExponentialBackoff(0, 0));
  let processed = 0;
  const workers = Array.from({ length: WORKERS }, async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      processed++;
      queue.done(key);
    }
  });
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < KEYS; i++) queue.add(`namespace-${i % 100}/object-${i}`);
    // Let the workers drain the round, as reconciles would between bursts of events.
    while (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  await queue.shutDownWithDrain();
  await Promise.all(workers);
  return { processed, seconds };
}

await run(); // warm-up
const { processed, seconds } = await run();
console.log(JSON.stringify({ benchmark: 'workqueue', workers: WORKERS, keysProcessed: processed, seconds: +seconds.toFixed(3), keysPerSecond: Math.round(processed / seconds) }));
