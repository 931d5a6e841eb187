import { defineConfig } from 'vitest/config';

/**
 * The one vitest setup every package uses: tests under test/, one file at a time (media and browser
 * tests want both cores), quiet logs, and the JSON report the root `npm test` sums into its summary line
 * (scripts/test-summary.mjs; a skipped test's reason travels in its meta, set by testkit's skipWhen).
 */
export function packageTestConfig(options: { testTimeout?: number; hookTimeout?: number } = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 90_000,
      hookTimeout: options.hookTimeout ?? 60_000,
      fileParallelism: false,
      env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  });
}
