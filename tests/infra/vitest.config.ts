import { packageTestConfig } from '../../vitest.shared.js';

// helm, caddy and promtool are separate processes, and the deploy bundle installs: allow for a loaded machine.
export default packageTestConfig({ testTimeout: 180_000, hookTimeout: 300_000 });
