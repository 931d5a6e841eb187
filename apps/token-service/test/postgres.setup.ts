// vitest globalSetup: gives the suite a PostgreSQL server to run against besides SQLite.
// - TEST_DATABASE_URL set: that server is used (each test service gets a fresh database on it).
// - else, when Debian's PostgreSQL binaries are installed: a throwaway cluster in a temp dir, on a free
//   localhost port, stopped and deleted at teardown.
// - else: the PostgreSQL runs are skipped with the reason (counted in `npm test`'s summary) — except under
//   CI=true, where a missing or broken PostgreSQL fails the run and says why.
// No tool is looked up on PATH: the binaries by absolute path, and as root the server's tools run as the
// `postgres` user through spawn's uid/gid (no runuser/su), so a bare PATH cannot turn these runs into skips.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create databases, or '' when there is none. */
    postgresUrl: string;
    /** Why PostgreSQL does not run, when postgresUrl is ''. */
    postgresSkipReason: string;
  }
}

function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  // Newest major version first.
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(base, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The `postgres` system user Debian's package creates, from /etc/passwd (no `id` on PATH needed). */
function postgresUser(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

/** PostgreSQL refuses to run as root; as root its tools run as `owner`, in a directory it owns. */
function run(command: string, args: string[], owner: { uid: number; gid: number } | undefined, cwd: string) {
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, cwd, ...owner });
}

const ci = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? '');

export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresUrl', external);
    project.provide('postgresSkipReason', '');
    return;
  }
  const bin = findPostgresBin();
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const skip = (reason: string) => {
    if (ci) throw new Error(`[token-service tests] CI=true requires the PostgreSQL runs: ${reason}`);
    console.warn(`[token-service tests] PostgreSQL runs skipped: ${reason}`);
    project.provide('postgresUrl', '');
    project.provide('postgresSkipReason', reason);
  };
  if (!bin)
    return skip(
      'no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql) and TEST_DATABASE_URL is not set',
    );
  if (process.getuid?.() === 0 && !owner)
    return skip('running as root and there is no "postgres" user to run the server as');

  const dir = mkdtempSync(join(tmpdir(), 'token-service-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const password = randomBytes(16).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');

  try {
    run(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=peer',
        '--encoding=UTF8',
        '--no-sync',
      ],
      owner,
      dir,
    );
    // Localhost only, its own socket dir; fsync off because the cluster is thrown away (the crash test
    // kills our service, never the database server).
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    run(
      pgCtl,
      ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'postgres.log'), '-o', options],
      owner,
      dir,
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    rmSync(dir, { recursive: true, force: true });
    return skip(`could not start a throwaway cluster: ${stderr || (error as Error).message}`);
  }
  console.log(`[token-service tests] throwaway PostgreSQL (${bin}) on 127.0.0.1:${port}`);
  project.provide('postgresUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  project.provide('postgresSkipReason', '');

  return () => {
    try {
      run(pgCtl, ['stop', '-m', 'immediate', '-w', '-D', data], owner, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
