import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig({
  // What the LiveKit SDKs do against the engine; the rest test the embedded SFU's own parts.
  bothEngines: [
    'test/browser-data.test.ts',
    'test/active-speakers.test.ts',
    'test/browser-simulcast.test.ts',
    'test/grants.test.ts',
    'test/room-service.test.ts',
    'test/red.test.ts',
    'test/whip.test.ts',
  ],
});
