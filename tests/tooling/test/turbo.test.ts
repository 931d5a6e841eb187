// turbo's cache key knows nothing of Chromium, PostgreSQL or the engine being there: a replayed pass
// proves nothing, so npm test must never take a test result from the cache.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');

it('npm test never replays test results: no test task is cacheable', () => {
  const dry = spawnSync(join(repo, 'node_modules', '.bin', 'turbo'), ['run', 'test', '--dry=json'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    timeout: 60_000,
  });
  expect(dry.status, dry.stderr).toBe(0);
  const plan = JSON.parse(dry.stdout) as {
    tasks: { taskId: string; task: string; resolvedTaskDefinition: { cache: boolean } }[];
  };
  const tests = plan.tasks.filter((t) => t.task === 'test');
  expect(tests.map((t) => t.taskId)).toContain('@scenecast/token-service#test');
  expect(tests.filter((t) => t.resolvedTaskDefinition.cache).map((t) => t.taskId)).toEqual([]);
});
