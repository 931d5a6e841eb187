// k6-style thresholds: `metric.stat<value`, `metric<value`, or for one profile `metric{profile:4g-poor}.p95<900`.
import { UsageError } from '../errors.js';

/** The metrics a threshold can name, and the statistics each has (none: the metric is one number). */
export const thresholdMetrics = {
  join_ms: ['count', 'missed', 'p50', 'p95', 'p99', 'max', 'mean'],
  switch_first_frame_ms: ['count', 'missed', 'p50', 'p95', 'p99', 'max', 'mean'],
  switch_sharp_ms: ['count', 'missed', 'p50', 'p95', 'p99', 'max', 'mean'],
  zoom_2160_ms: ['count', 'missed', 'p50', 'p95', 'p99', 'max', 'mean'],
  chat_ms: ['count', 'missed', 'p50', 'p95', 'p99', 'max', 'mean'],
  bitrate_kbps: ['count', 'mean', 'min', 'p5', 'p50', 'p95', 'max'],
  freeze_ratio: [],
  loss_ratio: [],
  network_loss_ratio: [],
  disconnects: [],
  reconnects: [],
  join_failures: [],
  freezes: [],
  nacks: [],
  plis: [],
  chat_sent: [],
  chat_refused: [],
  chat_muted: [],
  rss_growth_pct: [],
  top_layer_share: [],
  stage_height_mean: [],
} as const satisfies Record<string, readonly string[]>;
export type ThresholdMetric = keyof typeof thresholdMetrics;

const operators = {
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
  '>': (a: number, b: number) => a > b,
  '>=': (a: number, b: number) => a >= b,
  '==': (a: number, b: number) => a === b,
  '!=': (a: number, b: number) => a !== b,
} as const;

export interface Threshold {
  expression: string;
  /** What it is measured on, e.g. `switch_first_frame_ms.p95` or `loss_ratio{profile:4g}`. */
  metric: string;
  name: ThresholdMetric;
  stat?: string;
  profile?: string;
  operator: keyof typeof operators;
  limit: number;
}

const pattern =
  /^\s*([a-z_0-9]+)(?:\{profile:([\w.-]+)\})?(?:\.([a-z0-9]+))?\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

export function parseThreshold(expression: string): Threshold {
  const match = pattern.exec(expression);
  if (!match)
    throw new UsageError(
      `threshold "${expression}": write metric[.stat]<value, e.g. switch_first_frame_ms.p95<300 or freeze_ratio<0.005`,
    );
  const [, name, profile, stat, operator, limit] = match;
  if (!(name! in thresholdMetrics))
    throw new UsageError(
      `threshold "${expression}": unknown metric ${name}; known: ${Object.keys(thresholdMetrics).join(', ')}`,
    );
  const stats: readonly string[] = thresholdMetrics[name as ThresholdMetric];
  if (stats.length > 0 && !stat)
    throw new UsageError(`threshold "${expression}": ${name} needs a statistic: ${stats.join(', ')}`);
  if (stat && !stats.includes(stat))
    throw new UsageError(
      `threshold "${expression}": ${name} ${stats.length ? `has ${stats.join(', ')}` : 'is one number and has no statistic'}`,
    );
  return {
    expression: expression.trim(),
    metric: `${name}${profile ? `{profile:${profile}}` : ''}${stat ? `.${stat}` : ''}`,
    name: name as ThresholdMetric,
    stat,
    profile,
    operator: operator as keyof typeof operators,
    limit: Number(limit),
  };
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  /** The measured value; null when there was nothing to measure (which fails). */
  value: number | null;
  pass: boolean;
}

type MetricValues = Record<string, unknown>;

/** Checks a threshold against the report's metrics (all viewers) and its per-profile metrics. */
export function evaluateThreshold(
  threshold: Threshold,
  metrics: MetricValues,
  profiles: Record<string, MetricValues>,
): ThresholdResult {
  const source = threshold.profile ? profiles[threshold.profile] : metrics;
  let value: unknown = source?.[threshold.name];
  if (threshold.stat) value = (value as Record<string, unknown> | undefined)?.[threshold.stat];
  const measured = typeof value === 'number' && Number.isFinite(value) ? value : null;
  return {
    metric: threshold.metric,
    expression: threshold.expression,
    value: measured,
    pass: measured !== null && operators[threshold.operator](measured, threshold.limit),
  };
}
