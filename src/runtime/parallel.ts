// Bounded concurrency for a batch of independent requests: enough in flight to keep the API
// server busy, few enough not to flood it.

/** `each` over `items`, with `inFlight` of them under way at a time: the results in the items' order; rejects with the first failure. */
export async function mapInParallel<T, R>(items: readonly T[], inFlight: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await each(items[index]!);
  }));
  return results;
}

/** Runs `each` over `items` with `inFlight` of them under way at a time; rejects with the first failure. */
export async function inParallel<T>(items: readonly T[], inFlight: number, each: (item: T) => Promise<unknown>): Promise<void> {
  await mapInParallel(items, inFlight, each);
}
