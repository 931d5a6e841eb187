#!/usr/bin/env node
// The real LiveKit server, for the engine matrix, the cluster test and the benchmarks. Pinned here and only
// here; built from source with Go (the Go module proxy is what these machines reach, not release downloads),
// once, into .tools/. `node scripts/livekit-server.mjs` builds it if needed and prints its path.
// No dependency: scripts/cli.mjs runs this before the workspace is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const livekitServerVersion = 'v1.13.5';
const goModule = 'github.com/livekit/livekit-server/cmd/server';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installDir = join(root, '.tools', 'livekit-server', livekitServerVersion);

/**
 * Go's own installer puts `go` in /usr/local/go/bin, which a login shell puts on PATH and a bare one (CI, cron,
 * `env -i`) does not: found there, it goes on this process's PATH, so every build below and every child sees it.
 */
const goHome = '/usr/local/go/bin';
if (spawnSync('go', ['version']).error && existsSync(join(goHome, 'go')))
  process.env.PATH = `${goHome}:${process.env.PATH ?? ''}`;

/** Where the pinned livekit-server binary lives once built. */
export const livekitServerBin = join(installDir, 'livekit-server');

/**
 * Builds the pinned livekit-server into .tools/ unless it is there. Returns its path, or throws an error
 * that says what is missing (Go) or what went wrong (the build's own output is shown as it runs).
 */
export function ensureLivekitServer(log = (message) => process.stderr.write(`${message}\n`)) {
  if (existsSync(livekitServerBin)) return livekitServerBin;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(
      `livekit-server ${livekitServerVersion} is built from source and needs Go (>= 1.26), but \`go\` is not on PATH. ` +
        'Install Go (Debian: apt-get install golang-go, if new enough; or go.dev/dl), then run npm test again.',
    );
  }
  log(
    `building livekit-server ${livekitServerVersion} with ${go.stdout.trim()} into .tools/ ` +
      '(once per pinned version: about 13 minutes on a busy 2-core machine with an empty Go module cache, ' +
      'downloads included; about 20 s with a warm one)',
  );
  const started = Date.now();
  // GOBIN is a scratch folder: `go install` names the binary after its package folder (`server`).
  const scratch = join(installDir, 'gobin');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const build = spawnSync('go', ['install', `${goModule}@${livekitServerVersion}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: scratch },
  });
  if (build.error || build.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(
      `could not build livekit-server ${livekitServerVersion}: go install ${goModule}@${livekitServerVersion} ` +
        `${build.error ? `failed to run (${build.error.message})` : `exited with ${build.status}`}`,
    );
  }
  renameSync(join(scratch, 'server'), livekitServerBin);
  rmSync(scratch, { recursive: true, force: true });
  log(`built livekit-server ${livekitServerVersion} in ${Math.round((Date.now() - started) / 1000)} s`);
  return livekitServerBin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${ensureLivekitServer()}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
