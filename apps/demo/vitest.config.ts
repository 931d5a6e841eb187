import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig({ bothEngines: ['test/start.test.ts'] });
