import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig({
  bothEngines: ['test/engine.test.ts'],
  livekitOnly: ['test/livekit-configs.test.ts'],
});
