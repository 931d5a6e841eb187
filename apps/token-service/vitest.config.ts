import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.js';

// The suite runs on SQLite and on PostgreSQL; the setup finds or starts the PostgreSQL server.
export default mergeConfig(
  packageTestConfig(),
  defineConfig({ test: { globalSetup: ['test/postgres.setup.ts'] } }),
);
