import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
