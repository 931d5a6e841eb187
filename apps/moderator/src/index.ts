export { configEnv, loadConfig, type ModeratorConfig } from './config.js';
export { serveHttp } from './http.js';
export { type ModeratorOptions, type RunningModerator, startModerator } from './moderator.js';
export { type ChatLimits, ChatRules, defaultChatLimits, type Verdict, type WordList } from './rules.js';
