import { packageTestConfig } from '../../vitest.shared.js';

// The whole demo show runs in these tests: give them time on a loaded 2-core machine.
export default packageTestConfig({
  testTimeout: 180_000,
  hookTimeout: 180_000,
  bothEngines: [
    'test/viewer.test.ts',
    'test/console.test.ts',
    'test/https.test.ts',
    'test/whip-zoom.test.ts',
  ],
  livekitOnly: ['test/livekit-cluster.test.ts'],
  // Issue #15: still finds about one browser switch in a hundred late (over 2 s) — see the issue.
  stress: ['test/switch-stress.test.ts'],
});
