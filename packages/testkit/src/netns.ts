import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromiumPath } from './browser.js';

const run = promisify(execFile);

/** `tc` lives in sbin, which a user's PATH (and CI's `env -i PATH=/usr/bin:/bin`) may not list. */
const tc = ['/usr/sbin/tc', '/sbin/tc'].find((path) => existsSync(path)) ?? 'tc';

/**
 * A viewer's own network: a namespace joined to this host by a veth pair, whose host side shapes what
 * the viewer receives with `tc tbf` (this kernel has tbf but no netem). Programs in the namespace reach
 * the host at `hostIp`; Chromium runs inside it through `chromiumPath`.
 */
export interface NetNamespace {
  name: string;
  /** This host's address on the pair: what the viewer connects to. */
  hostIp: string;
  /** The namespace's address. */
  nsIp: string;
  /** A launcher for playwright-core's executablePath: Debian's Chromium, run inside the namespace. */
  chromiumPath: string;
  /** Cap what the viewer receives (its downlink) at `mbit` Mbit/s with a 300 ms queue; undefined lifts it. */
  capDownlink(mbit: number | undefined): Promise<void>;
  /**
   * Cut the link (an outage), or restore it: both ways, or only what the viewer receives (its downlink),
   * which fails ICE on the server's side while the viewer's own checks still reach it.
   */
  setOutage(down: boolean, direction?: 'both' | 'downlink'): Promise<void>;
  /** Remove the qdiscs, the pair and the namespace. */
  close(): Promise<void>;
}

/**
 * Why a namespace cannot be made here (not root, no `ip netns`), or undefined when it can. Tests skip
 * with this reason — except under CI=true, where the machines allow it and a skip would hide a failure.
 */
export async function netNamespaceUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  try {
    await run('ip', ['netns', 'list']);
    await run(tc, ['-V']);
    return undefined;
  } catch (error) {
    return `ip netns / tc are not usable here: ${(error as Error).message}`;
  }
}

/**
 * A fresh namespace with unique names (several engineers' tests may run at once): `scn-<hex>`, veths
 * `vh<hex>`/`vn<hex>`, and a 10.77.x.0/24 no other interface on this host uses.
 */
export async function createNetNamespace(): Promise<NetNamespace> {
  const id = randomBytes(3).toString('hex');
  const name = `scn-${id}`;
  const hostIf = `vh${id}`;
  const nsIf = `vn${id}`;
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  const used = new Set([...stdout.matchAll(/inet 10\.77\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 200 }, (_, i) => 50 + i).filter((n) => !used.has(n));
  const subnet = free[Math.floor(Math.random() * free.length)];
  if (subnet === undefined) throw new Error('no free 10.77.x.0/24 for a test namespace');
  const hostIp = `10.77.${subnet}.1`;
  const nsIp = `10.77.${subnet}.2`;
  const ns = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  const launcherDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const launcher = join(launcherDir, 'chromium');
  const cleanup = async () => {
    await run(tc, ['qdisc', 'del', 'dev', hostIf, 'root']).catch(() => undefined);
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    rmSync(launcherDir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await ns('ip', 'addr', 'add', `${nsIp}/24`, 'dev', nsIf);
    await ns('ip', 'link', 'set', nsIf, 'up');
    await ns('ip', 'link', 'set', 'lo', 'up');
    await ns('ip', 'route', 'add', 'default', 'via', hostIp);
    writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${name} ${chromiumPath} "$@"\n`);
    chmodSync(launcher, 0o755);
  } catch (error) {
    await cleanup();
    throw error;
  }
  /** tbf drops every packet larger than its bucket: a bucket of one byte passes nothing. */
  const blackhole = ['tbf', 'rate', '8kbit', 'burst', '1', 'latency', '1ms'];
  let capMbit: number | undefined;
  let outage = false;
  const applyDownlink = async () => {
    const qdisc = outage
      ? blackhole
      : capMbit !== undefined
        ? ['tbf', 'rate', `${capMbit}mbit`, 'burst', '32kbit', 'latency', '300ms']
        : undefined;
    if (qdisc) await run(tc, ['qdisc', 'replace', 'dev', hostIf, 'root', ...qdisc]);
    else await run(tc, ['qdisc', 'del', 'dev', hostIf, 'root']).catch(() => undefined);
  };
  return {
    name,
    hostIp,
    nsIp,
    chromiumPath: launcher,
    async capDownlink(mbit) {
      capMbit = mbit;
      await applyDownlink();
    },
    async setOutage(down, direction = 'both') {
      outage = down;
      await applyDownlink();
      if (down && direction === 'both') await ns(tc, 'qdisc', 'replace', 'dev', nsIf, 'root', ...blackhole);
      if (!down) await ns(tc, 'qdisc', 'del', 'dev', nsIf, 'root').catch(() => undefined);
    },
    close: cleanup,
  };
}
