export { defaultConfig, type RunningSfu, type SfuConfig, startSfu } from './server.js';
