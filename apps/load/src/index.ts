// The load tool as a library (the benchmarks drive it): a run, its scenario, the network presets.
export { profiles } from './network/profiles.js';
export type { Report } from './report/report.js';
export { runLoad } from './run.js';
export { loadScenario, type Scenario } from './scenario.js';
