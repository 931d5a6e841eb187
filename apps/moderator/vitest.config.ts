import { packageTestConfig } from '../../vitest.shared.js';

// The moderator speaks to the engine only through LiveKit's SDKs: its suite runs on both engines.
export default packageTestConfig({ bothEngines: ['test/moderator.test.ts'] });
