export { demoShow, type Seeded, seedDemo } from './seed.js';
export { viewerPreviewArgs } from './viewer.js';
