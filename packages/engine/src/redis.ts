import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freeTcpPort } from './ports.js';

/** Debian's redis-server (apt-get install redis-server; npm test installs it). */
export const redisServerPath = '/usr/bin/redis-server';

export interface RunningRedis {
  /** host:port, as livekit-server's --redis-host takes it. */
  address: string;
  close(): Promise<void>;
}

/** A throwaway Redis on a free loopback port, in memory only: what a LiveKit cluster's nodes share. */
export async function startRedis(): Promise<RunningRedis> {
  if (!existsSync(redisServerPath))
    throw new Error(`${redisServerPath} is missing: apt-get install redis-server (npm test installs it)`);
  const port = await freeTcpPort();
  const child = spawn(
    redisServerPath,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  while (
    !(await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    }))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { address: `127.0.0.1:${port}`, close };
}
