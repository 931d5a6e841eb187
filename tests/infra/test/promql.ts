import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { infra, readYaml } from './support.js';

export interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

export interface Query {
  /** Where it is written: rule or dashboard panel. */
  where: string;
  expr: string;
}

/** The metric selectors of a PromQL expression, by Prometheus' own grammar (lezer-promql). */
export function selectors(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const found: Selector[] = [];
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name !== 'VectorSelector') return;
      const selector: Selector = { name: '', matchers: [] };
      const cursor = node.node.cursor();
      cursor.iterate((child) => {
        if (child.name === 'Identifier' && !selector.name) selector.name = expr.slice(child.from, child.to);
        if (child.name === 'UnquotedLabelMatcher') {
          const label = child.node.getChild('LabelName');
          const op = child.node.getChild('MatchOp');
          const value = child.node.getChild('StringLiteral');
          selector.matchers.push({
            label: label ? expr.slice(label.from, label.to) : '',
            op: op ? expr.slice(op.from, op.to) : '',
            value: value ? JSON.parse(expr.slice(value.from, value.to)) : '',
          });
        }
      });
      found.push(selector);
      return false;
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at ${errors[0]} in: ${expr}`);
  return found;
}

/** Every query of the alert rules and the Grafana dashboards of infra/observability. */
export function observabilityQueries(): Query[] {
  const queries: Query[] = [];
  const rules = readYaml<{ groups: { rules: { alert: string; expr: string }[] }[] }>(
    'infra/observability/prometheus/rules/scenecast.rules.yml',
  );
  for (const group of rules.groups)
    for (const rule of group.rules) queries.push({ where: `alert ${rule.alert}`, expr: rule.expr });
  const dashboards = join(infra, 'observability/grafana/dashboards');
  for (const file of readdirSync(dashboards)) {
    const dashboard = JSON.parse(readFileSync(join(dashboards, file), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels)
      for (const target of panel.targets)
        queries.push({ where: `${file}: ${panel.title}`, expr: target.expr });
  }
  return queries;
}

export interface Exposition {
  /** Metric family or sample name -> the label sets of its samples (none when declared, not yet observed). */
  series: Map<string, Record<string, string>[]>;
}

/**
 * The names and label sets of a Prometheus text exposition. Hand-read: only `# TYPE` lines and sample
 * names with their label pairs are needed, which no parser library is worth a dependency for.
 */
export function readExposition(text: string): Exposition {
  const series = new Map<string, Record<string, string>[]>();
  const add = (name: string) => {
    if (!series.has(name)) series.set(name, []);
    return series.get(name) as Record<string, string>[];
  };
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const pair of (sample[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    add(sample[1] as string).push(labels);
  }
  return { series };
}

/**
 * What a query asks of one target that it does not have: a metric it does not export, a label none of the
 * metric's samples carry, or an exact label value none has. Labels are judged only where samples exist.
 */
export function missing(query: Query, target: Exposition, prefix: string): string[] {
  const problems: string[] = [];
  for (const selector of selectors(query.expr)) {
    if (!selector.name.startsWith(prefix)) continue;
    const samples = target.series.get(selector.name);
    if (!samples) {
      problems.push(`${query.where}: ${selector.name} is not exported`);
      continue;
    }
    if (samples.length === 0) continue;
    for (const m of selector.matchers) {
      if (!samples.some((s) => m.label in s))
        problems.push(`${query.where}: ${selector.name} has no label ${m.label}`);
      else if (m.op === '=' && !samples.some((s) => s[m.label] === m.value))
        problems.push(`${query.where}: no ${selector.name}{${m.label}="${m.value}"} sample`);
    }
  }
  return problems;
}

/** The job names Prometheus scrapes (the `job` label of `up`). */
export const scrapeJobs = () =>
  readYaml<{ scrape_configs: { job_name: string }[] }>(
    'infra/observability/prometheus/prometheus.yml',
  ).scrape_configs.map((j) => j.job_name);
