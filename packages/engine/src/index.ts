export {
  type EngineCommand,
  type EngineCommandOptions,
  embeddedNodeFlags,
  engineCommand,
  livekitConfigDir,
  livekitServerBin,
  livekitServerVersion,
} from './commands.js';
export { devKeys, type EngineName, engineNames, selectedEngine } from './engines.js';
export { freeTcpPort, freeUdpPort } from './ports.js';
export { type RunningRedis, redisServerPath, startRedis } from './redis.js';
export { type EngineOptions, type RunningEngine, startEngine } from './start.js';
