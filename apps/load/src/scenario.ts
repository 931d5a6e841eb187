// A run's scenario: who the target is, how many viewers arrive how fast, on which networks, what they do,
// and the thresholds the run must meet. From a YAML/JSON file, the command line, or both (flags win); one
// zod schema validates either, and its JSON Schema is exported (scenario.schema.json).
import { readFileSync } from 'node:fs';
import { networkProfile } from '@scenecast/load-client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './errors.js';
import { profiles as presets } from './network/profiles.js';
import { parseThreshold } from './report/thresholds.js';

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "2m", "30s", "500ms", "1.5h" → milliseconds. */
const duration = z
  .string()
  .regex(durationPattern, 'a duration such as 30s, 2m, 500ms or 1h')
  .transform((text) => {
    const [, value, unit] = durationPattern.exec(text)!;
    return Number(value) * unitMs[unit as keyof typeof unitMs];
  });

/** "8s±3s" or "8s+-3s": a mean and a uniform spread around it. */
const spreadPattern = /^([^±+]+?)\s*(?:±|\+-|\+\/-)\s*(.+)$/;
const spread = z.union([
  z
    .string()
    .regex(spreadPattern, 'a mean and a spread such as 8s±3s')
    .transform((text, ctx) => {
      const [, mean, jitter] = spreadPattern.exec(text)!;
      const parsed = [duration.safeParse(mean!.trim()), duration.safeParse(jitter!.trim())];
      if (!parsed[0]!.success || !parsed[1]!.success) {
        ctx.addIssue({ code: 'custom', message: 'a mean and a spread such as 8s±3s' });
        return z.NEVER;
      }
      return { meanMs: parsed[0]!.data, jitterMs: parsed[1]!.data };
    }),
  duration.transform((meanMs) => ({ meanMs, jitterMs: 0 })),
]);

const rate = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*\/\s*s$/, 'viewers per second, such as 20/s')
    .transform((text) => Number(text.split('/')[0])),
]);

/** "1/min", "0.5/s", "30/h" or 0 (off): messages per viewer, as messages per minute. */
const chatPattern = /^(\d+(?:\.\d+)?)\s*\/\s*(s|min|h)$/;
const chatRate = z.union([
  z.literal(0),
  z
    .string()
    .regex(chatPattern, 'messages per viewer such as 1/min, 0.5/s or 30/h (0: no chat)')
    .transform((text) => {
      const [, count, unit] = chatPattern.exec(text)!;
      return Number(count) * ({ s: 60, min: 1, h: 1 / 60 } as const)[unit as 's' | 'min' | 'h'];
    })
    .pipe(z.number().max(600, 'at most 10/s')),
  z.literal('0').transform(() => 0),
]);

const share = z.union([
  z.number().min(0).max(1),
  z
    .string()
    .regex(/^\d+(\.\d+)?%$/, 'a percentage such as 70%')
    .transform((text) => Number(text.slice(0, -1)) / 100),
]);

/** "5g=70%,4g=20%,4g-poor=10%", or a map of profile name to share. */
const profileMix = z.union([
  z
    .string()
    .regex(
      /^[\w.-]+(=\d+(\.\d+)?%)?(,[\w.-]+(=\d+(\.\d+)?%)?)*$/,
      'profile=share pairs such as 5g=70%,4g=30%',
    )
    .transform((text) => {
      const entries = text.split(',').map((pair) => pair.split('='));
      const unshared = entries.filter(([, s]) => s === undefined).length;
      const given = entries.reduce((sum, [, s]) => sum + (s ? Number(s.slice(0, -1)) / 100 : 0), 0);
      // A profile named without a share takes an equal part of what is left.
      return Object.fromEntries(
        entries.map(([name, s]) => [name!, s ? Number(s.slice(0, -1)) / 100 : (1 - given) / unshared]),
      );
    }),
  z.record(z.string(), share),
]);

const threshold = z.string().superRefine((text, ctx) => {
  try {
    parseThreshold(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const scenarioSchema = z
  .object({
    /** The show (token service) — or, with `livekit`, ignored. */
    show: z.string().min(1).optional(),
    tokenService: z.url().default('http://127.0.0.1:8080'),
    /** Straight to a LiveKit deployment instead of the token service. */
    livekit: z
      .object({
        url: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
        apiKey: z.string().min(1),
        apiSecret: z.string().min(1),
        room: z.string().min(1),
      })
      .strict()
      .optional(),
    viewers: z.coerce.number().int().positive().max(100_000),
    ramp: rate.default(10),
    duration: duration,
    profiles: profileMix.default({ '5g': 1 }),
    /** Profiles of the scenario's own, usable in `profiles` like the presets. */
    networks: z.record(z.string(), networkProfile).default({}),
    behaviour: z
      .object({
        /** Time between a viewer's actions (switch or zoom). */
        switchEvery: spread.default({ meanMs: 8000, jitterMs: 3000 }),
        zoom: z
          .object({ probability: z.coerce.number().min(0).max(1), dwell: duration })
          .strict()
          .default({ probability: 0.2, dwell: 5000 }),
        /** Chat messages each viewer sends, through the show's moderator (messages per minute once parsed). */
        chat: chatRate.default(1),
      })
      .strict()
      .default({
        switchEvery: { meanMs: 8000, jitterMs: 3000 },
        zoom: { probability: 0.2, dwell: 5000 },
        chat: 1,
      }),
    thresholds: z.array(threshold).default([]),
    seed: z.coerce.number().int().default(1),
    /** Worker threads; default one per core. */
    workers: z.coerce.number().int().positive().max(256).optional(),
    /** Real Chromium viewers running the viewer app, besides the simulated ones. */
    browsers: z.coerce.number().int().min(0).max(50).default(0),
    /** The viewer app, for browser viewers, e.g. http://127.0.0.1:5173. */
    viewerUrl: z.url().optional(),
    /** A name for this generator in merged reports; default the host name. */
    shard: z.string().min(1).optional(),
    /**
     * Where the target SFU's RSS is read during the run (report.sfu, `rss_growth_pct`): its Prometheus
     * metrics URL, or its process id on this host. Default: /metrics beside the LiveKit URL (the embedded SFU's).
     */
    sfuMetrics: z.url().optional(),
    sfuPid: z.coerce.number().int().positive().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.livekit && !s.show)
      ctx.addIssue({
        code: 'custom',
        path: ['show'],
        message: 'required (or livekit: url, apiKey, apiSecret, room)',
      });
    const known = { ...presets, ...s.networks };
    for (const name of Object.keys(s.profiles))
      if (!(name in known))
        ctx.addIssue({
          code: 'custom',
          path: ['profiles', name],
          message: `unknown profile; known: ${Object.keys(known).join(', ')}`,
        });
    const total = Object.values(s.profiles).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 0.005)
      ctx.addIssue({
        code: 'custom',
        path: ['profiles'],
        message: `shares add up to ${Math.round(total * 1000) / 10} %, not 100 %`,
      });
    const rampMs = (s.viewers / s.ramp) * 1000;
    if (rampMs >= s.duration)
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: `${s.duration / 1000} s is over before the ramp (${s.viewers} viewers at ${s.ramp}/s take ${rampMs / 1000} s)`,
      });
    if (s.browsers > 0 && !s.viewerUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['viewerUrl'],
        message: 'required for browser viewers (--viewer-url)',
      });
  });

export type Scenario = z.output<typeof scenarioSchema>;

/** The JSON Schema of a scenario file (its input form: durations and shares as written). */
export const scenarioJsonSchema = () =>
  z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });

/** Command-line names of scenario fields, to name them in messages as the user wrote them. */
const flagOf: Record<string, string> = {
  tokenService: '--token-service',
  viewerUrl: '--viewer-url',
  profiles: '--profile',
  thresholds: '--threshold',
};

/** Reads a scenario file (YAML or JSON; YAML is a superset) and lays the command line's values over it. */
export function loadScenario(file: string | undefined, flags: Record<string, unknown>): Scenario {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `scenario: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    try {
      fromFile = parseYaml(text) ?? {};
    } catch (error) {
      throw new UsageError(`scenario ${file}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile))
      throw new UsageError(`scenario ${file}: must be a mapping of fields`);
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (key === 'thresholds')
      merged.thresholds = [...((fromFile.thresholds as unknown[]) ?? []), ...(value as unknown[])];
    else if (key === 'livekit')
      merged.livekit = { ...((fromFile.livekit as object) ?? {}), ...(value as object) };
    else if (key === 'behaviour')
      merged.behaviour = { ...((fromFile.behaviour as object) ?? {}), ...(value as object) };
    else merged[key] = value;
  }
  const parsed = scenarioSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    const flag =
      flagOf[String(issue.path[0])] ??
      `--${String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const where = file ? `scenario ${file}` : 'options';
    throw new UsageError(`${where}: ${path || '(top level)'} (${flag}): ${issue.message}`);
  }
  return parsed.data;
}

/** Every profile a scenario may use: the presets and its own. */
export const networksOf = (scenario: Scenario) => ({ ...presets, ...scenario.networks });
