// npm test's verdict (scripts/test-summary.mjs) over reports that the real vitest wrote for the fixture
// projects in ../fixtures: skips are counted with their reasons, and under CI=true they fail the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCi, readReports, summarize, summaryLine, verdict } from '../../../scripts/test-summary.mjs';

const repo = join(import.meta.dirname, '..', '..', '..');
const workspace = mkdtempSync(join(tmpdir(), 'test-summary-'));

/** Runs a fixture project with vitest's JSON reporter into `workspace`, laid out like a package. */
function runFixture(name: string): number {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  const result = spawnSync(
    join(repo, 'node_modules', '.bin', 'vitest'),
    [
      'run',
      '--root',
      join(import.meta.dirname, '..', 'fixtures', name),
      '--reporter=json',
      `--outputFile=${join(workspace, 'apps', name, 'test-results', 'vitest.json')}`,
    ],
    { env, encoding: 'utf8', timeout: 60_000 },
  );
  if (result.error) throw result.error;
  return result.status ?? 1;
}

beforeAll(() => {
  expect(runFixture('skips')).toBe(0);
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe("npm test's summary", () => {
  it('counts every skipped test in the summary line with its reason', () => {
    const summary = summarize(readReports(workspace));
    expect(summaryLine(summary)).toBe(
      'tests: 2 passed, 0 failed, 3 skipped (2: the fixture server is not installed; ' +
        '1: no reason given)',
    );
    expect(verdict(summary, { ci: false })).toEqual({ status: 0, problems: [] });
  });

  it('under CI=true fails the run for any skipped test, naming the reason', () => {
    const summary = summarize(readReports(workspace));
    const { status, problems } = verdict(summary, { ci: true });
    expect(status).toBe(1);
    expect(problems).toEqual([
      'CI=true: 2 test(s) skipped: the fixture server is not installed',
      'CI=true: 1 test(s) skipped: no reason given',
    ]);
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({})).toBe(false);
  });

  it('fails the run when a suite cannot start what it needs, though no test failed', () => {
    expect(runFixture('broken')).not.toBe(0);
    const broken = summarize(readReports(workspace).filter((r) => r.name === 'apps/broken'));
    expect(broken.failed).toBe(0);
    const { status, problems } = verdict(broken, { ci: false });
    expect(status).toBe(1);
    expect(problems).toEqual(['apps/broken: the run failed outside its tests (see its output above)']);
  });

  it('names each failed test with the first line of its failure, since CI shows only the log tail', () => {
    expect(runFixture('fails')).not.toBe(0);
    const fails = summarize(readReports(workspace).filter((r) => r.name === 'apps/fails'));
    expect(fails.failed).toBe(1);
    const { status, problems } = verdict(fails, { ci: false });
    expect(status).toBe(1);
    expect(problems).toEqual([
      '1 test(s) failed',
      'failed: apps/fails: the stage shows the widest layer: AssertionError: expected 3840 to be less than 3840',
    ]);
  });
});
