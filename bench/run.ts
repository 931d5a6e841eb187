// Runs the named benchmarks (all when none is named). Each benchmark is a module in ./suites that
// measures scenecast and its baseline in the same run and prints a markdown section for docs/benchmarks.md.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispose } from '@livekit/rtc-node';

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const available = readdirSync(suitesDir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n### ${name}\n`);
  const suite = (await import(join(suitesDir, `${name}.ts`))) as { run: () => Promise<void> };
  await suite.run();
}
// rtc-node's native runtime (any suite's Room) keeps the process alive until it is disposed.
await dispose();
