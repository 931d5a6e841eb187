// Asking again after a refusal, as a crowd should: a viewer refused a token (429) waits what the token
// service said and a random share more. Hand-written: a few lines around ApiError's Retry-After.
import { ApiError } from './client.js';

/**
 * Calls `ask` until it succeeds; when it is refused with Retry-After, waits that long plus up to as much
 * again at random (so a refused crowd does not come back at one instant, which would be refused again),
 * then asks again. Any other error, or waiting longer than `giveUpAfterMs` (five minutes) in all, is thrown.
 */
export async function honouringRetryAfter<T>(
  ask: () => Promise<T>,
  {
    random = Math.random,
    giveUpAfterMs = 5 * 60_000,
  }: { random?: () => number; giveUpAfterMs?: number } = {},
): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await ask();
    } catch (error) {
      const seconds = error instanceof ApiError ? error.retryAfterSeconds : undefined;
      if (seconds === undefined) throw error;
      const waitMs = Math.max(1, seconds) * 1000 * (1 + random());
      if (Date.now() - started + waitMs > giveUpAfterMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
