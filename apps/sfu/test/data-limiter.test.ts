// The data limiter on its own, on a clock the test moves.
import { ParticipantInfo_Kind } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { DataLimiter, type DataLimits } from '../src/sfu/data-limiter.js';

const limits: DataLimits = {
  packetsPerSecond: 10,
  burstPackets: 5,
  bytesPerSecond: 1000,
  burstBytes: 2000,
  abuseDrops: 20,
  abuseWindowMs: 10_000,
};

function setup() {
  let now = 0;
  const disconnected: string[] = [];
  const limiter = new DataLimiter<{ kind: ParticipantInfo_Kind; id: string }>(
    limits,
    (sender) => disconnected.push(sender.id),
    () => now,
  );
  const viewer = (id: string) => ({ kind: ParticipantInfo_Kind.STANDARD, id });
  const send = (sender: { kind: ParticipantInfo_Kind; id: string }, n: number, bytes = 10) =>
    Array.from({ length: n }, () => limiter.admit(sender, bytes)).filter(Boolean).length;
  return { limiter, viewer, send, disconnected, advance: (ms: number) => (now += ms) };
}

describe('data limiter', () => {
  it('relays a burst, then the sustained rate; each sender has its own buckets', () => {
    const { viewer, send, advance } = setup();
    const a = viewer('a');
    expect(send(a, 8)).toBe(5);
    advance(500);
    expect(send(a, 8)).toBe(5);
    expect(send(viewer('b'), 8)).toBe(5);
    // A sender within its rate is never dropped.
    const c = viewer('c');
    for (let i = 0; i < 100; i++) {
      advance(100);
      expect(send(c, 1)).toBe(1);
    }
  });

  it('limits bytes as well as packets', () => {
    const { viewer, send, advance } = setup();
    const a = viewer('a');
    expect(send(a, 5, 900)).toBe(2);
    advance(1000);
    expect(send(a, 5, 900)).toBe(1);
  });

  it('disconnects a sender that keeps flooding, once; one that burst and stopped stays', () => {
    const { viewer, send, advance, disconnected } = setup();
    const burstOnce = viewer('burst');
    send(burstOnce, 5 + 19);
    advance(11_000);
    send(burstOnce, 5 + 19);
    expect(disconnected).toEqual([]);
    const flood = viewer('flood');
    send(flood, 5 + 19);
    expect(disconnected).toEqual([]);
    send(flood, 100);
    expect(disconnected).toEqual(['flood']);
  });

  it('does not limit agents (server participants such as the chat moderator)', () => {
    const { send, disconnected } = setup();
    expect(send({ kind: ParticipantInfo_Kind.AGENT, id: 'moderator' }, 1000)).toBe(1000);
    expect(disconnected).toEqual([]);
  });
});
