// npm test's verdict: sums the JSON report each package's vitest writes (vitest.shared.ts) into one line,
// with the reason of every skipped test (a test's `meta.skipReason`, set by testkit's skipWhen). Outside CI
// a skip is counted and explained; under CI=true any skip fails the run. No dependency: cli.mjs runs bare.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const workspaceGroups = ['apps', 'packages', 'tests'];

/** CI=true (or any value but 0/false), as CI services set it. */
export function isCi(env = process.env) {
  return Boolean(env.CI) && !/^(0|false)$/i.test(env.CI);
}

/**
 * Every package's report under `root`: `{ name: 'apps/sfu', report }`. `file` names the report: vitest.shared.ts
 * writes one per engine (`vitest-embedded.json`, `vitest-livekit.json`).
 */
export function readReports(root, file = 'vitest.json') {
  const reports = [];
  for (const group of workspaceGroups) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name, 'test-results', file);
      if (existsSync(path))
        reports.push({ name: `${group}/${name}`, report: JSON.parse(readFileSync(path, 'utf8')) });
    }
  }
  return reports;
}

/** Counts over all reports; skipped tests grouped by reason; packages whose run failed outside any test. */
export function summarize(reports) {
  const summary = { passed: 0, failed: 0, skipped: 0, skipReasons: new Map(), brokenRuns: [], failures: [] };
  for (const { name, report } of reports) {
    let explained = false; // by a failed test or a failed file
    for (const file of report.testResults ?? []) {
      const tests = file.assertionResults ?? [];
      if (file.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
        summary.brokenRuns.push(`${name}: ${file.message || 'a test file failed outside its tests'}`);
        explained = true;
      }
      for (const test of tests) {
        if (test.status === 'passed') summary.passed++;
        else if (test.status === 'failed') {
          summary.failed++;
          summary.failures.push(
            `${name}: ${test.fullName ?? test.title}: ${firstLine(test.failureMessages)}`,
          );
          explained = true;
        } else {
          summary.skipped++;
          const reason = test.meta?.skipReason ?? (test.status === 'todo' ? 'todo' : 'no reason given');
          summary.skipReasons.set(reason, (summary.skipReasons.get(reason) ?? 0) + 1);
        }
      }
    }
    // A run that failed before or around its tests (a global setup, a crashed worker) has no failed test.
    if (report.success === false && !explained) {
      summary.brokenRuns.push(`${name}: the run failed outside its tests (see its output above)`);
    }
  }
  return summary;
}

/** The first line of a test's first failure, cut short: enough to name it in a truncated CI log. */
function firstLine(messages) {
  const line = String(messages?.[0] ?? 'no message').split('\n')[0];
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

export function summaryLine({ passed, failed, skipped, skipReasons }) {
  const reasons = [...skipReasons].map(([reason, count]) => `${count}: ${reason}`).join('; ');
  return `tests: ${passed} passed, ${failed} failed, ${skipped} skipped${reasons ? ` (${reasons})` : ''}`;
}

/**
 * The exit status of `npm test` and why: the runner's own status, failed tests, runs that broke outside
 * their tests, and — under CI — skipped tests.
 */
export function verdict(summary, { ci, runnerStatus = 0 }) {
  const problems = [];
  if (summary.failed > 0) problems.push(`${summary.failed} test(s) failed`);
  for (const failure of summary.failures ?? []) problems.push(`failed: ${failure}`);
  for (const broken of summary.brokenRuns) problems.push(broken);
  if (ci && summary.skipped > 0) {
    for (const [reason, count] of summary.skipReasons)
      problems.push(`CI=true: ${count} test(s) skipped: ${reason}`);
  }
  if (runnerStatus !== 0 && problems.length === 0)
    problems.push(`the test runner exited with ${runnerStatus}`);
  return { status: problems.length > 0 ? runnerStatus || 1 : 0, problems };
}
