export { demoShow, type Seeded } from './seed.js';
export { type CameraSpec, demoCameras, type Stack, type StackOptions, startStack } from './stack.js';
