export { type DemoUrls, readBanner } from './banner.js';
export { demoBlockedWords, demoShow, type Seeded, seedDemo } from './seed.js';
export {
  type CameraSpec,
  demoCameras,
  type Stack,
  type StackOptions,
  startStack,
  startViewer,
} from './stack.js';
export { type DemoCertificate, demoCertificate, lanAddress } from './tls.js';
