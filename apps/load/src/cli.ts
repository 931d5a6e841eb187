#!/usr/bin/env node
// scenecast-load: run, merge, report, schema. Exit codes: 0 every threshold passed, 1 a threshold failed,
// 2 bad usage or scenario, 3 target unreachable, 4 the run is invalid (the generator was the bottleneck),
// 130 interrupted (the partial report is written), 70 an internal error (a bug: please report it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { exitCodes, UnreachableError, UsageError } from './errors.js';
import { renderHtml } from './report/html.js';
import { mergeReports, type Report, schemaVersion } from './report/report.js';
import { parseThreshold } from './report/thresholds.js';
import { writeReport } from './run.js';
import { loadScenario, scenarioJsonSchema } from './scenario.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function readReport(file: string): Report {
  let parsed: Report;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch (error) {
    throw new UsageError(`${file}: not a readable report.json (${(error as Error).message.split('\n')[0]})`);
  }
  if (parsed?.tool !== 'scenecast-load' || !parsed.raw)
    throw new UsageError(`${file}: not a scenecast-load report`);
  if (parsed.schemaVersion !== schemaVersion)
    throw new UsageError(`${file}: schemaVersion ${parsed.schemaVersion}, this tool reads ${schemaVersion}`);
  return parsed;
}

/** The one-paragraph verdict on stdout; the exit code that goes with it. */
function conclude(report: Report, out: string): number {
  const failed = report.thresholds.filter((t) => !t.pass);
  const lines = [`verdict: ${report.verdict}${report.interrupted ? ' (interrupted, partial)' : ''}`];
  for (const t of report.thresholds)
    lines.push(`  ${t.pass ? 'pass' : 'FAIL'}  ${t.expression}  (${t.value === null ? 'no data' : t.value})`);
  for (const reason of report.invalidReasons) lines.push(`  invalid: ${reason}`);
  if (failed.length > 0) lines.push(`failed thresholds: ${failed.map((t) => t.expression).join(', ')}`);
  lines.push(`report: ${join(out, 'report.json')}, ${join(out, 'report.html')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (report.interrupted) return exitCodes.interrupted;
  if (report.verdict === 'invalid') return exitCodes.invalid;
  return report.verdict === 'pass' ? exitCodes.pass : exitCodes.thresholdFailed;
}

const program = new Command('scenecast-load')
  .description(
    "QA's load test for a scenecast show: simulated viewers joining, switching and zooming under emulated networks",
  )
  .exitOverride()
  .showHelpAfterError();

program
  .command('run')
  .description('run a load test against a show (token service) or a LiveKit room')
  .option('--scenario <file>', 'a scenario file (YAML or JSON); the options below override its fields')
  .option('--show <id>', 'the show to load (through the token service)')
  .option('--token-service <url>', 'the token service (default http://127.0.0.1:8080)')
  .option('--livekit-url <url>', 'go straight to a LiveKit deployment (with --api-key, --api-secret, --room)')
  .option('--api-key <key>')
  .option('--api-secret <secret>')
  .option('--room <name>')
  .option('--viewers <n>', 'simulated viewers')
  .option('--ramp <rate>', 'viewers joining per second, e.g. 20/s')
  .option('--duration <time>', 'the whole run, ramp included, e.g. 2m')
  .option('--profile <mix>', 'network profiles and their shares, e.g. 5g=70%,4g=20%,4g-poor=10%')
  .option('--switch-every <spread>', 'time between a viewer’s actions, e.g. 8s±3s')
  .option('--zoom-probability <p>', 'chance an action is a zoom (0–1)')
  .option('--zoom-dwell <time>', 'how long a zoom lasts, e.g. 5s')
  .option('--chat <rate>', 'chat messages per viewer, e.g. 1/min (default), 0.5/s; 0: none')
  .option('--threshold <expression>', 'k6-style, e.g. "switch_first_frame_ms.p95<300" (repeatable)', collect)
  .option('--seed <n>', 'seed of every random choice (networks and behaviour)')
  .option('--workers <n>', 'worker threads (default: one per core)')
  .option(
    '--browsers <m>',
    'real Chromium viewers running the viewer app, besides the simulated ones, each on a profile of the mix (through a TURN relay: needs coturn)',
  )
  .option('--viewer-url <url>', 'the viewer app, for --browsers (e.g. http://127.0.0.1:5173)')
  .option('--shard <name>', 'this generator’s name in merged reports (default: the host name)')
  .option(
    '--sfu-metrics <url>',
    'the SFU’s Prometheus metrics, for its RSS (default: /metrics beside the LiveKit URL)',
  )
  .option('--sfu-pid <pid>', 'the SFU’s process on this host, for its RSS (instead of --sfu-metrics)')
  .addOption(new Option('--out <dir>', 'where report.json and report.html go').makeOptionMandatory())
  .action(async (o: Record<string, string | string[] | undefined>) => {
    const livekit =
      o.livekitUrl || o.apiKey || o.apiSecret || o.room
        ? { url: o.livekitUrl, apiKey: o.apiKey, apiSecret: o.apiSecret, room: o.room }
        : undefined;
    const behaviour =
      o.switchEvery || o.zoomProbability || o.zoomDwell || o.chat !== undefined
        ? {
            ...(o.switchEvery ? { switchEvery: o.switchEvery } : {}),
            ...(o.chat !== undefined ? { chat: o.chat } : {}),
            ...(o.zoomProbability || o.zoomDwell
              ? { zoom: { probability: o.zoomProbability ?? 0.2, dwell: o.zoomDwell ?? '5s' } }
              : {}),
          }
        : undefined;
    const scenario = loadScenario(o.scenario as string | undefined, {
      show: o.show,
      tokenService: o.tokenService,
      livekit,
      viewers: o.viewers,
      ramp: o.ramp,
      duration: o.duration,
      profiles: o.profile,
      behaviour,
      thresholds: o.threshold,
      seed: o.seed,
      workers: o.workers,
      browsers: o.browsers,
      viewerUrl: o.viewerUrl,
      shard: o.shard,
      sfuMetrics: o.sfuMetrics,
      sfuPid: o.sfuPid,
    });
    const out = o.out as string;
    // Ctrl-C once: stop and write the partial report; twice: leave at once.
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => {
      interrupt = resolve;
    });
    process.once('SIGINT', () => {
      interrupt();
      process.once('SIGINT', () => process.exit(exitCodes.interrupted));
    });
    const { runWithBrowsers } = await import('./browsers.js');
    const report = await runWithBrowsers(scenario, { out, interrupt: interrupted });
    process.exitCode = conclude(report, out);
  });

program
  .command('merge')
  .description('merge the report.json of several shards (generators) into one report')
  .argument('<reports...>', 'report.json files')
  .requiredOption('--out <dir>', 'where the merged report.json and report.html go')
  .option('--threshold <expression>', 'check these instead of the shards’ own (repeatable)', collect)
  .action((files: string[], o: { out: string; threshold?: string[] }) => {
    for (const t of o.threshold ?? []) parseThreshold(t);
    const merged = mergeReports(files.map(readReport), o.threshold);
    writeReport(merged, o.out);
    process.exitCode = conclude(merged, o.out);
  });

program
  .command('report')
  .description('rebuild report.html from a report.json')
  .argument('<report>', 'a report.json')
  .option('--out <dir>', 'where report.html goes (default: beside the report.json)')
  .action((file: string, o: { out?: string }) => {
    const report = readReport(file);
    const path = join(o.out ?? dirname(file), 'report.html');
    writeFileSync(path, renderHtml(report));
    process.stdout.write(`${path}\n`);
  });

program
  .command('schema')
  .description('print the JSON Schema of scenario files')
  .action(() => {
    process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exitCode = error.exitCode === 0 ? 0 : exitCodes.usage;
  } else if (error instanceof UsageError || error instanceof UnreachableError) {
    process.stderr.write(`scenecast-load: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`scenecast-load: internal error: ${(error as Error).stack ?? error}\n`);
    process.exitCode = exitCodes.internal;
  }
}
// werift leaves sockets and timers behind after its peer connections close; the work is done and written,
// so leave rather than wait for them.
setTimeout(() => process.exit(), 200).unref();
