#!/usr/bin/env node
// The two README commands. Runs on a bare machine with only Node and npm, so it uses no dependency:
// it installs pnpm (pinned in package.json) and the workspace, then builds and starts or tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLivekitServer } from './livekit-server.mjs';
import { isCi, readReports, summarize, summaryLine, verdict, workspaceGroups } from './test-summary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, '');
const toolsDir = join(root, '.tools');
// Tools we install for ourselves (pnpm) must be on PATH for the ones that look for them (turbo).
process.env.PATH = `${join(toolsDir, 'node_modules', '.bin')}:${process.env.PATH}`;
process.env.TURBO_TELEMETRY_DISABLED = '1';
// Native addons (better-sqlite3) compile against this Node's headers; there is no download of them here.
if (!process.env.npm_config_nodedir) {
  const nodedir = join(dirname(process.execPath), '..');
  if (existsSync(join(nodedir, 'include', 'node', 'node.h'))) process.env.npm_config_nodedir = nodedir;
}
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function log(message) {
  process.stdout.write(`\x1b[36m[scenecast]\x1b[0m ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) {
    log(`failed (${status}): ${cmd} ${args.join(' ')}`);
    process.exit(status);
  }
}

/** pnpm, pinned: the one on PATH if it is that version, else a private copy installed with npm. */
function pnpm() {
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() === pnpmVersion) return ['pnpm', []];
  const local = join(toolsDir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const installed = existsSync(local)
    ? JSON.parse(readFileSync(join(toolsDir, 'node_modules', 'pnpm', 'package.json'), 'utf8')).version
    : undefined;
  if (installed !== pnpmVersion) {
    log(`installing pnpm ${pnpmVersion} into .tools/`);
    mkdirSync(toolsDir, { recursive: true });
    must('npm', ['install', '--prefix', toolsDir, '--no-save', '--no-package-lock', `pnpm@${pnpmVersion}`]);
  }
  return [process.execPath, [local]];
}

function pnpmRun(args, options) {
  const [cmd, pre] = pnpm();
  return run(cmd, [...pre, ...args], options);
}

function install() {
  log('installing workspace dependencies (frozen lockfile)');
  const status = pnpmRun(['install', '--frozen-lockfile', '--prefer-offline']);
  if (status !== 0) process.exit(status);
}

/** Browser tests need Debian's Chromium; install it through apt-get when it is absent. */
function ensureChromium() {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() !== 0) {
    log(
      `Chromium is missing at ${chromiumPath}: run "sudo apt-get install -y chromium" or set CHROMIUM_PATH`,
    );
    process.exit(1);
  }
  log('installing Debian Chromium for the browser tests (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  must('apt-get', ['update', '-qq'], { env });
  must('apt-get', ['install', '-y', '-qq', 'chromium'], { env });
}

/**
 * The studio camera speaks with Debian's espeak-ng (packages/camera-sim); install it when absent. Without
 * it cameras publish ambience instead of the host's voice, and the voice tests fail (they never skip).
 */
function ensureEspeak() {
  if (spawnSync('which', ['espeak-ng']).status === 0) return;
  if (process.getuid?.() !== 0) {
    log('espeak-ng is missing (the studio host voice): run "sudo apt-get install -y espeak-ng"');
    return;
  }
  log("installing Debian espeak-ng for the studio camera's host voice (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '-qq', 'espeak-ng'], { env }) === 0) return;
  run('apt-get', ['update', '-qq'], { env });
  if (run('apt-get', ['install', '-y', '-qq', 'espeak-ng'], { env }) !== 0)
    log('could not install espeak-ng');
}

/** Debian's PostgreSQL server binaries, e.g. /usr/lib/postgresql/15/bin/initdb. */
function hasPostgres() {
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'initdb')));
}

/**
 * The token service's tests also run on PostgreSQL, in a throwaway cluster they start from these
 * binaries; install them through apt-get when absent. Outside CI, without them those runs are skipped
 * (and the summary says why); under CI=true a PostgreSQL that cannot be installed stops the run here.
 */
function ensurePostgres() {
  if (hasPostgres() || process.env.TEST_DATABASE_URL) return;
  const missing = (reason) => {
    if (isCi()) {
      log(`CI=true requires the token service's PostgreSQL runs: ${reason}`);
      process.exit(1);
    }
    log(`${reason}: the token service tests run on SQLite only`);
  };
  if (process.getuid?.() !== 0) {
    return missing('PostgreSQL is not installed and only root can apt-get install postgresql');
  }
  log('installing Debian PostgreSQL for the token service tests (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    if (run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env }) === 0) return;
    run('apt-get', ['update', '-qq'], { env });
    if (run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env }) === 0) return;
  } catch (error) {
    log(`apt-get failed: ${error.message}`);
  }
  missing('could not install PostgreSQL with apt-get');
}

/** The LiveKit cluster test's Redis comes from Debian (redis-server); install it through apt-get when absent. */
function ensureRedis() {
  if (existsSync('/usr/bin/redis-server')) return;
  if (process.getuid?.() !== 0) {
    log('redis-server is missing for the LiveKit cluster test: run "sudo apt-get install -y redis-server"');
    return;
  }
  log('installing Debian redis-server for the LiveKit cluster test (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '-qq', 'redis-server'], { env }) === 0) return;
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', 'redis-server'], { env });
}

/**
 * scenecast-load's browser viewers reach the SFU through a TURN relay that applies their network profile:
 * Debian's coturn (apps/load/src/network/turn-server.ts). Install it when absent; without it those tests
 * fail under CI=true and skip with the reason otherwise.
 */
function ensureCoturn() {
  if (existsSync('/usr/bin/turnserver')) return;
  if (process.getuid?.() !== 0) {
    log('coturn is missing for the load tool\'s browser viewers: run "sudo apt-get install -y coturn"');
    return;
  }
  log("installing Debian coturn for the load tool's browser viewers (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '-qq', 'coturn'], { env }) === 0) return;
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', 'coturn'], { env });
}

// ---- infra/ checks (tests/infra): helm and caddy built from their Go modules, promtool from Debian ----

/**
 * The tools tests/infra reads infra/ with, pinned in infra/tools.json: Go modules built once into
 * .tools/bin (first build a few minutes each; cached after), the Compose schema's module fetched into Go's
 * module cache, promtool through apt-get. Not fatal here: a missing tool fails those tests under CI=true
 * and skips them with the reason otherwise.
 */
function ensureInfraTools() {
  const tools = JSON.parse(readFileSync(join(root, 'infra', 'tools.json'), 'utf8'));
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    log('Go is missing: helm and caddy for the infra/ tests cannot be built (install Go >= 1.26)');
  } else {
    const bin = join(toolsDir, 'bin');
    for (const [name, pkgAtVersion] of Object.entries(tools.go)) {
      const version = pkgAtVersion.split('@')[1];
      // The module version the binary was built from (`go version -m`), not its own banner.
      const built = spawnSync('go', ['version', '-m', join(bin, name)], { encoding: 'utf8' });
      if (built.status === 0 && new RegExp(`\\tmod\\t\\S+\\t${version}\\s`).test(built.stdout)) continue;
      log(`building ${name} ${version} into .tools/bin (go install; a few minutes the first time)`);
      if (run('go', ['install', pkgAtVersion], { env: { ...process.env, GOBIN: bin } }) !== 0)
        log(`could not build ${name}: the infra/ tests that need it will fail under CI`);
    }
    for (const module of Object.values(tools.goModules)) {
      if (run('go', ['mod', 'download', module], { stdio: 'ignore', cwd: toolsDir }) !== 0)
        log(`could not download ${module}: the Compose schema test will fail under CI`);
    }
  }
  const missing = Object.entries(tools.apt).filter(([cmd]) => spawnSync('which', [cmd]).status !== 0);
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  if (process.getuid?.() !== 0) {
    log(`missing for the infra/ tests: ${packages.join(', ')} (apt-get install --no-install-recommends)`);
    return;
  }
  log(`installing ${packages.join(', ')} for the infra/ tests (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '-qq', '--no-install-recommends', ...packages];
  if (run('apt-get', args, { env }) !== 0) {
    run('apt-get', ['update', '-qq'], { env });
    if (run('apt-get', args, { env }) !== 0) log(`could not install ${packages.join(', ')}`);
  }
}

/** The real livekit-server, built once; undefined (and why) when it cannot be, which fails a CI run. */
function livekitServer() {
  try {
    return { bin: ensureLivekitServer(log) };
  } catch (error) {
    log(error.message);
    return { error: error.message };
  }
}

function clearTestReports() {
  for (const group of workspaceGroups) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir))
      rmSync(join(dir, name, 'test-results'), { recursive: true, force: true });
  }
}

function test(extra) {
  ensureChromium();
  ensureEspeak();
  ensurePostgres();
  ensureRedis();
  ensureCoturn();
  ensureInfraTools();
  install();
  clearTestReports();
  const livekit = livekitServer();
  log('lint (biome, knip for dead code), build, typecheck');
  if (pnpmRun(['exec', 'biome', 'check', '.']) !== 0) process.exit(1);
  if (pnpmRun(['exec', 'knip']) !== 0) process.exit(1);
  const checks = pnpmRun(['exec', 'turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']);
  if (checks !== 0) process.exit(checks);
  // The engine matrix: every suite on the embedded SFU, then the SDK-facing ones (and the LiveKit
  // cluster) on the real livekit-server. One package at a time: browser and media tests each want both
  // cores of a small machine. turbo.json never caches the test task, so every run really runs.
  const ci = isCi();
  const problems = [];
  const lines = [];
  const total = { passed: 0, failed: 0, skipped: 0, skipReasons: new Map(), brokenRuns: [] };
  let status = 0;
  for (const engine of ['embedded', 'livekit']) {
    if (engine === 'livekit' && livekit.error) {
      lines.push(`livekit: not run (${livekit.error})`);
      problems.push(`the livekit engine could not run: ${livekit.error}`);
      if (ci) status = 1;
      continue;
    }
    log(`tests on the ${engine} engine`);
    const runnerStatus = pnpmRun(
      ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...extra],
      {
        env: { ...process.env, CHROMIUM_PATH: chromiumPath, SCENECAST_ENGINE: engine },
      },
    );
    const summary = summarize(readReports(root, `vitest-${engine}.json`));
    total.passed += summary.passed;
    total.failed += summary.failed;
    total.skipped += summary.skipped;
    for (const [reason, count] of summary.skipReasons)
      total.skipReasons.set(reason, (total.skipReasons.get(reason) ?? 0) + count);
    lines.push(summaryLine(summary).replace(/^tests:/, `${engine}:`));
    const judged = verdict(summary, { ci, runnerStatus });
    for (const problem of judged.problems) problems.push(`${engine}: ${problem}`);
    status = status || judged.status;
  }
  process.stdout.write(`\n${lines.map((line) => `  ${line}\n`).join('')}${summaryLine(total)}\n`);
  for (const problem of problems) log(`FAILED: ${problem}`);
  process.exit(status);
}

/** `--engine NAME` in the arguments, else SCENECAST_ENGINE. */
function engineOf(args) {
  const at = args.indexOf('--engine');
  return at >= 0
    ? args[at + 1]
    : (args.find((a) => a.startsWith('--engine='))?.slice(9) ?? process.env.SCENECAST_ENGINE);
}

/** Builds livekit-server when the run needs it, or stops with why it cannot. */
function mustLivekitServer() {
  const { error } = livekitServer();
  if (error) process.exit(1);
}

function start(extra) {
  install();
  if (engineOf(extra) === 'livekit') mustLivekitServer();
  log('building');
  const built = pnpmRun(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
  if (built !== 0) process.exit(built);
  const [cmd, pre] = pnpm();
  // The launcher owns the demo's processes; forward Ctrl-C to it and leave with its status.
  const child = spawn(cmd, [...pre, '--filter', '@scenecast/demo', 'start', ...extra], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

function bench(extra) {
  ensureChromium();
  install();
  mustLivekitServer(); // the engine benchmarks run both engines side by side
  for (const args of [
    ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'],
    ['--filter', '@scenecast/bench', 'start', ...extra],
  ]) {
    const status = pnpmRun(args);
    if (status !== 0) process.exit(status);
  }
}

const [command, ...rest] = process.argv.slice(2);
const commands = { start, test, bench, install: () => install() };
if (!commands[command]) {
  process.stderr.write(`usage: node scripts/cli.mjs <${Object.keys(commands).join('|')}>\n`);
  process.exit(2);
}
commands[command](rest);
