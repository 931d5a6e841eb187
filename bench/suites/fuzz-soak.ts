// The signalling fuzz test (apps/sfu/test/fuzz.test.ts) at soak size: 100,000 frames (BENCH_FUZZ_FRAMES)
// instead of the 10,000 `npm test` sends, judged the same way — the server's own count of frames and handler
// errors, and a media pair that must not notice. No baseline: the numbers to keep are zero errors and the rate.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const frames = Number(process.env.BENCH_FUZZ_FRAMES ?? 100_000);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function run(): Promise<void> {
  const result = spawnSync(
    join(repo, 'node_modules', '.bin', 'vitest'),
    ['run', 'test/fuzz.test.ts', '--reporter=default'],
    {
      cwd: join(repo, 'apps', 'sfu'),
      env: { ...process.env, SCENECAST_FUZZ_FRAMES: String(frames) },
      encoding: 'utf8',
    },
  );
  const output = `${result.stdout}${result.stderr}`;
  const line =
    /\[fuzz\] (\d+) frames sent, (\d+) received by the server in ([\d.]+) s; malformed (\d+), invalid requests (\d+), handler errors (\d+)/.exec(
      output,
    );
  if (!line) {
    console.error(output);
    throw new Error(`the fuzz test printed no result (exit ${result.status})`);
  }
  const [, sent, received, seconds, malformed, invalid, handlerErrors] = line.map(Number);
  const verdict = result.status === 0 ? 'passed' : 'FAILED';
  console.log(`\`npm run bench -- fuzz-soak\` (\`BENCH_FUZZ_FRAMES\`, default 100,000).\n`);
  console.log(
    '| frames sent | received by the server | frames/s | malformed | invalid requests | handler errors | the pair (same sessions, no reconnect, media flowing) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| ${sent} | ${received} | ${Math.round(received! / seconds!)} | ${malformed} | ${invalid} | ${handlerErrors} | ${verdict} |`,
  );
  if (result.status !== 0) {
    console.error(output);
    process.exitCode = 1;
  }
}
