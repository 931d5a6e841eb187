#!/usr/bin/env node
// GStreamer's WHIP sink (`whipsink`, gst-plugins-rs's webrtchttp plugin): a second WHIP client not written
// here, for issue #13's tests and docs/obs.md. Debian's GStreamer 1.22 has no WHIP element, and the plugin is
// Rust: built from its crates.io release with cargo, once, into .tools/. 0.10.x is the series built on
// gstreamer-rs 0.20, which targets GStreamer 1.22 (later series need 1.24). Its dependencies are pinned by
// scripts/gst-whipsink.Cargo.lock. `node scripts/gst-whipsink.mjs` builds it if needed and prints the folder
// to put on GST_PLUGIN_PATH. About 10 minutes on a busy 2-core machine (-j1), so it is not part of npm test:
// apps/token-service's `test:gstreamer` runs the suite that uses it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const whipsinkVersion = '0.10.8';
const crate = 'gst-plugin-webrtchttp';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installDir = join(root, '.tools', 'gst-whipsink', whipsinkVersion);

/** The folder for GST_PLUGIN_PATH once built: it holds libgstwebrtchttp.so (whipsink, whepsrc). */
export const whipsinkPluginDir = join(installDir, 'plugin');

/** Debian's packages the build and the pipelines need, by what is missing. */
const needs = [
  {
    check: ['pkg-config', ['--exists', 'gstreamer-webrtc-1.0', 'gstreamer-sdp-1.0']],
    apt: 'libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev pkg-config',
  },
  { check: ['pkg-config', ['--exists', 'openssl']], apt: 'libssl-dev' },
  { check: ['gst-inspect-1.0', ['--exists', 'webrtcbin']], apt: 'gstreamer1.0-plugins-bad' },
  { check: ['gst-inspect-1.0', ['--exists', 'x264enc']], apt: 'gstreamer1.0-plugins-ugly' },
  { check: ['gst-inspect-1.0', ['--exists', 'vp8enc']], apt: 'gstreamer1.0-plugins-good' },
];

const run = (command, args, options = {}) => spawnSync(command, args, { encoding: 'utf8', ...options });
const fails = (result) => Boolean(result.error) || result.status !== 0;

/**
 * Builds the pinned whipsink into .tools/ unless it is there; returns GST_PLUGIN_PATH's folder, or throws an
 * error that says what is missing (cargo, Debian packages) or which step failed (its output is shown as it runs).
 */
export function ensureWhipsink(log = (message) => process.stderr.write(`${message}\n`)) {
  const missing = needs.filter(({ check: [command, args] }) => fails(run(command, args))).map((n) => n.apt);
  if (missing.length > 0) {
    throw new Error(
      `GStreamer's whipsink needs Debian packages that are not installed: apt-get install -y ${[...new Set(missing)].join(' ')}`,
    );
  }
  if (existsSync(join(whipsinkPluginDir, 'libgstwebrtchttp.so'))) return whipsinkPluginDir;
  const cargo = run('cargo', ['--version']);
  if (fails(cargo)) {
    throw new Error(
      `${crate} ${whipsinkVersion} (GStreamer's whipsink) is built from source and needs Rust's cargo (>= 1.70), ` +
        'which is not on PATH: install it (rustup.rs, or Debian: apt-get install cargo), then run again.',
    );
  }
  log(
    `building ${crate} ${whipsinkVersion} with ${cargo.stdout.trim()} into .tools/ (once per pinned version: ` +
      'about 10 minutes on a busy 2-core machine with -j1, crate downloads included)',
  );
  const started = Date.now();
  const work = join(installDir, 'build');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // cargo fetches the crate as its registry client does; the crate is then built on its own, as the
  // plugin (a cdylib), which a dependency's build would not make.
  const fetcher = join(work, 'fetch');
  mkdirSync(join(fetcher, 'src'), { recursive: true });
  writeFileSync(join(fetcher, 'src', 'lib.rs'), '');
  writeFileSync(
    join(fetcher, 'Cargo.toml'),
    `[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n${crate} = "=${whipsinkVersion}"\n`,
  );
  step(run('cargo', ['fetch'], { cwd: fetcher, stdio: ['ignore', 'inherit', 'inherit'] }), 'cargo fetch');
  // Where cargo unpacked it (its registry's src/), from cargo's own account of the fetched packages.
  const fetched = JSON.parse(
    step(run('cargo', ['metadata', '--format-version', '1'], { cwd: fetcher }), 'cargo metadata').stdout,
  ).packages.find((p) => p.name === crate && p.version === whipsinkVersion);
  if (!fetched) throw new Error(`cargo fetch did not bring ${crate} ${whipsinkVersion}`);
  const source = join(work, `${crate}-${whipsinkVersion}`);
  cpSync(dirname(fetched.manifest_path), source, { recursive: true });
  copyFileSync(join(root, 'scripts', 'gst-whipsink.Cargo.lock'), join(source, 'Cargo.lock'));
  // One job unless CARGO_BUILD_JOBS says otherwise: the machine is shared.
  step(
    run('nice', ['-n', '10', 'cargo', 'build', '--release', '--locked'], {
      cwd: source,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { CARGO_BUILD_JOBS: '1', ...process.env },
    }),
    `cargo build --release --locked (in ${source})`,
  );
  const { target_directory: target } = JSON.parse(
    step(run('cargo', ['metadata', '--no-deps', '--format-version', '1'], { cwd: source }), 'cargo metadata')
      .stdout,
  );
  mkdirSync(whipsinkPluginDir, { recursive: true });
  copyFileSync(
    join(target, 'release', 'libgstwebrtchttp.so'),
    join(whipsinkPluginDir, 'libgstwebrtchttp.so'),
  );
  rmSync(work, { recursive: true, force: true });
  log(`built ${crate} ${whipsinkVersion} in ${Math.round((Date.now() - started) / 1000)} s`);
  return whipsinkPluginDir;
}

/** The step's result, or an error that names the step. */
function step(result, what) {
  if (fails(result)) {
    throw new Error(
      `could not build GStreamer's whipsink: ${what} ${result.error ? `failed to run (${result.error.message})` : `exited with ${result.status}`}${result.stderr ? `: ${result.stderr.trim().slice(-500)}` : ''}`,
    );
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.stdout.write(`${ensureWhipsink()}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
