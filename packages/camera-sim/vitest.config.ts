import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig({ bothEngines: ['test/camera.test.ts', 'test/cli.test.ts'] });
