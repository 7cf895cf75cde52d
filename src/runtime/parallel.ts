// Bounded concurrency for a batch of independent requests: enough in flight to keep the API
// server busy, few enough not to flood it.

/** Runs `each` over `items` with `inFlight` of them under way at a time; rejects with the first failure. */
export async function inParallel<T>(items: readonly T[], inFlight: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}
