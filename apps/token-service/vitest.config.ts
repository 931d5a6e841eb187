import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.js';

// The suite runs on SQLite and on PostgreSQL; the setup finds or starts the PostgreSQL server.
// test/livekit.test.ts judges the tokens and webhooks on both engines.
export default mergeConfig(
  packageTestConfig({
    bothEngines: ['test/livekit.test.ts', 'test/whip.test.ts', 'test/whip-gstreamer.test.ts'],
    // GStreamer's whipsink is built from source first (scripts/gst-whipsink.mjs): `pnpm test:gstreamer`.
    optIn: ['test/whip-gstreamer.test.ts'],
  }),
  defineConfig({ test: { globalSetup: ['test/postgres.setup.ts'] } }),
);
