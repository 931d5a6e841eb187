import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig({
  testTimeout: 180_000,
  hookTimeout: 120_000,
  // The load tool speaks only the token service's API and the LiveKit protocol: it runs on both engines.
  bothEngines: ['test/run.test.ts'],
});
