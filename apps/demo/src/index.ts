export { type DemoUrls, readBanner } from './banner.js';
export { demoShow, type Seeded } from './seed.js';
export { type CameraSpec, demoCameras, type Stack, type StackOptions, startStack } from './stack.js';
