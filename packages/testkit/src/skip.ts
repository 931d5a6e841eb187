import type { TestOptions } from 'vitest';

/**
 * describe()/it() options for tests whose prerequisite (a database server, an engine, a browser) is missing
 * here: skipped, with the reason in the test's meta (`skipReason`), which `npm test` reads from the JSON
 * report into its summary line (scripts/test-summary.mjs) — and under CI=true any skip fails the run.
 * Without a reason the tests run.
 */
export function skipWhen(reason: string | undefined): TestOptions {
  if (!reason) return {};
  // vitest types meta as its TaskMeta, which packages extend by augmentation; one key needs no augmentation.
  return { skip: true, meta: { skipReason: reason } as TestOptions['meta'] };
}
