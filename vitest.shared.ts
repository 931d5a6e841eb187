import { configDefaults, defineConfig } from 'vitest/config';

export interface EngineSuites {
  /** Suites that reach the engine only through LiveKit's SDKs: they run on both engines. */
  bothEngines?: string[];
  /** Suites of the real LiveKit only (a cluster, its configs): they run on the livekit pass. */
  livekitOnly?: string[];
  /**
   * Long stress runs that judge the product rather than guard a change (hundreds of scene switches): not in
   * `npm test`, run on demand with SCENECAST_STRESS=1 (the package's `stress` script), on a quiet machine.
   */
  stress?: string[];
  /**
   * Suites that first build a tool from source for many minutes (GStreamer's whipsink: about 10 on 2 cores):
   * not in `npm test`, run with SCENECAST_OPT_IN=1 (the package's script), on either engine.
   */
  optIn?: string[];
}

/**
 * The one vitest setup every package uses: tests under test/, one file at a time (media and browser
 * tests want both cores), quiet logs, and the JSON report the root `npm test` sums into its summary line
 * (scripts/test-summary.mjs; a skipped test's reason travels in its meta, set by testkit's skipWhen).
 *
 * The engine matrix: `npm test` runs every package twice, SCENECAST_ENGINE=embedded (every suite but the
 * livekit-only ones) and SCENECAST_ENGINE=livekit (the both-engines and livekit-only suites), with a
 * report per engine.
 */
export function packageTestConfig(
  options: { testTimeout?: number; hookTimeout?: number } & EngineSuites = {},
) {
  const engine = process.env.SCENECAST_ENGINE || 'embedded';
  const livekit = engine === 'livekit';
  return defineConfig({
    test: {
      include: livekit
        ? [...(options.bothEngines ?? []), ...(options.livekitOnly ?? [])]
        : ['test/**/*.test.ts'],
      exclude: [
        ...configDefaults.exclude,
        ...(livekit ? [] : (options.livekitOnly ?? [])),
        ...(process.env.SCENECAST_STRESS === '1' ? [] : (options.stress ?? [])),
        ...(process.env.SCENECAST_OPT_IN === '1' ? [] : (options.optIn ?? [])),
      ],
      // A package with nothing for the livekit pass has nothing to run there.
      passWithNoTests: livekit,
      testTimeout: options.testTimeout ?? 90_000,
      hookTimeout: options.hookTimeout ?? 60_000,
      fileParallelism: false,
      env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      reporters: ['default', ['json', { outputFile: `test-results/vitest-${engine}.json` }]],
    },
  });
}
