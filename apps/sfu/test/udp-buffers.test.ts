// The media sockets buffer enough for a 4K keyframe while the event loop is busy: with Linux's default
// (208 KB) a publisher's keyframe burst lost its tail in the kernel, and the browser's transport-cc
// estimate fell below the top layer (seen as a phone's 4K never reaching a zoomed viewer).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Room } from '@livekit/rtc-node';
import { participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningSfu, startSfu } from '../src/index.js';
import { udpBufferBytes } from '../src/rtc/udp-buffers.js';

// Above Linux's ephemeral range (32768–60999): a client socket of this process never lands among them.
const ports: [number, number] = [61100, 61199];
let sfu: RunningSfu | undefined;
let room: Room | undefined;

afterAll(async () => {
  await room?.disconnect();
  await sfu?.close();
});

/** The receive buffer (`rb`) of every UDP socket bound in `ports`, as the kernel reports it. */
function receiveBuffers(): number[] {
  const out = execFileSync('ss', ['-uanm', `sport >= :${ports[0]} and sport <= :${ports[1]}`], {
    encoding: 'utf8',
  });
  return [...out.matchAll(/\brb(\d+)/g)].map((m) => Number(m[1]));
}

describe('UDP socket buffers', () => {
  it('every ICE socket of a connected publisher asks for 8 MB (as much as the kernel allows)', async () => {
    sfu = await startSfu({ port: 0, rtc: { portRange: ports } });
    room = new Room();
    await room.connect(sfu.url, await participantToken('buffers', 'camera', { canPublish: true }));
    const stop = await publishSyntheticVideo(room, { width: 320, height: 180 });
    try {
      await waitFor(() => receiveBuffers().length > 0, { what: 'a socket in the SFU port range' });
      // Linux doubles what it grants (bookkeeping) and caps the request at net.core.rmem_max.
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      const expected = 2 * Math.min(udpBufferBytes, rmemMax);
      const defaultBytes = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8'));
      expect(expected, 'this kernel allows more than its default').toBeGreaterThan(2 * defaultBytes);
      expect(receiveBuffers()).toEqual(receiveBuffers().map(() => expected));
    } finally {
      stop();
    }
  });
});
