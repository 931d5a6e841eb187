// The TURN relay browser viewers must use (their pages allow only relay candidates, see browsers.ts), so
// that all their media crosses a link-proxy.ts link. Debian's coturn, the reference TURN server, started for
// the run on loopback with a one-run credential: npm's TURN servers are not kept (node-turn 0.0.6 cannot bind
// channels with Chromium, and any refresh ends an allocation; README, "Browser viewers").
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';

export const turnserverPath = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface TurnServer {
  /** Where clients reach it: loopback only (each browser through its own link proxy). */
  host: '127.0.0.1';
  port: number;
  username: string;
  credential: string;
  close(): Promise<void>;
}

/** A UDP port free now (the server binds it a moment later; a clash shows as a failed start). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** The local address the host sends from to reach `host`: what the relay must send the media from. */
export async function routeTo(host: string): Promise<string> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, host, resolve);
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** Resolves when a STUN Binding request to the server is answered (RFC 5389: 20-byte header, no attributes). */
async function answers(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const socket = createSocket('udp4');
  const request = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      socket.on('error', () => undefined);
      socket.on('message', (reply) => {
        if (
          reply.length >= 20 &&
          reply.readUInt16BE(0) === 0x0101 &&
          reply.subarray(8, 20).equals(request.subarray(8, 20))
        )
          resolve();
      });
      timer = setInterval(() => {
        const why = exited();
        if (why !== undefined) reject(new Error(why));
        else if (Date.now() > deadline)
          reject(new Error(`no answer on 127.0.0.1:${port} in ${timeoutMs} ms`));
        else socket.send(request, port, '127.0.0.1');
      }, 100);
    });
  } finally {
    clearInterval(timer);
    socket.close();
  }
}

/** Starts coturn on loopback, relaying from `relayIp`; rejects with its own words when it cannot. */
export async function startTurnServer(relayIp: string): Promise<TurnServer> {
  if (!existsSync(turnserverPath))
    throw new Error(
      `browser viewers' network profiles need coturn's turnserver at ${turnserverPath} (apt-get install coturn)`,
    );
  const port = await freeUdpPort();
  const username = 'scenecast-load';
  const credential = randomBytes(12).toString('hex');
  const child: ChildProcess = spawn(
    turnserverPath,
    [
      '-n', // no configuration file: only these options
      ...['--listening-ip', '127.0.0.1', '--listening-port', String(port), '--relay-ip', relayIp],
      ...['--lt-cred-mech', '--user', `${username}:${credential}`, '--realm', 'scenecast-load'],
      // UDP only; no TLS, no TCP, no admin CLI, no database or pid file of the host's.
      ...['--no-tls', '--no-dtls', '--no-tcp', '--no-tcp-relay', '--no-cli'],
      ...['--userdb', '/dev/null', '--pidfile', '/dev/null'],
      // The SFU may be on this host (a laptop run, the tests). Then it answers the relay's loopback address
      // from whichever local address the kernel picks, not the candidate's that the browser permitted: so no
      // per-peer permission check (only this run's browsers, through their proxies, reach the relay).
      ...['--allow-loopback-peers', '--server-relay'],
      ...['--log-file', 'stdout', '--simple-log', '--no-software-attribute'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = `turnserver exited (${signal ?? code}): ${output.trim().split('\n').slice(-3).join(' | ')}`;
  });
  child.on('error', (error) => {
    exit = `turnserver failed to start: ${error.message}`;
  });
  // A run that ends any way at all takes its relay with it.
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  const close = async () => {
    process.off('exit', stop);
    if (exit !== undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await answers(port, 10_000, () => exit);
  } catch (error) {
    await close();
    throw new Error(`the TURN relay for browser viewers did not start: ${(error as Error).message}`);
  }
  return { host: '127.0.0.1', port, username, credential, close };
}
