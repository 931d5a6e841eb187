/** An error that says when to ask again: the token service's 429 carries Retry-After. */
export interface Refusal {
  retryAfterSeconds?: number;
}

/** Longest a viewer waits in all before giving up and showing the error. */
const giveUpAfterMs = 5 * 60_000;

/**
 * Calls `ask` until it succeeds; when it is refused with Retry-After, waits that long plus up to as much
 * again at random (so a refused crowd does not come back at one instant, which would be refused again),
 * then asks again. Any other error, or waiting longer than five minutes in all, is thrown.
 */
export async function honouringRetryAfter<T>(
  ask: () => Promise<T>,
  random: () => number = Math.random,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await ask();
    } catch (error) {
      const seconds = (error as Refusal).retryAfterSeconds;
      if (seconds === undefined) throw error;
      const waitMs = Math.max(1, seconds) * 1000 * (1 + random());
      if (Date.now() - started + waitMs > giveUpAfterMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
