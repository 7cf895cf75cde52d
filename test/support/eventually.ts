// Retries an assertion until it holds: for what the API server makes true shortly, not at once
// (an RBAC binding reaching the authorizer's cache, a controller acting).
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
