// NACKs towards a publisher: which lost packets of one layer are asked for, how often and how long;
// and that the receiver keeps one generator per simulcast layer, each asking for its own stream.
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it, vi } from 'vitest';
import { MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';
import { NackGenerator } from '../src/sfu/nack-generator.js';
import { TrackReceiver } from '../src/sfu/receiver.js';

/** Packets arriving (`seq` at `at` ms) and, between them, what `due(at)` returns. */
type Step = { seq: number; at: number } | { due: number; lost: number[]; pending?: boolean };

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('NackGenerator', () => {
  const cases: Array<[string, Step[]]> = [
    [
      'asks for nothing while packets arrive in order',
      [
        { seq: 1, at: 0 },
        { seq: 2, at: 1 },
        { seq: 3, at: 2 },
        { due: 30, lost: [], pending: false },
      ],
    ],
    [
      'asks for the packets a jump skipped',
      [
        { seq: 10, at: 0 },
        { seq: 13, at: 1 },
        { due: 1, lost: [11, 12], pending: true },
      ],
    ],
    [
      'stops asking for a packet once it arrives',
      [
        { seq: 10, at: 0 },
        { seq: 13, at: 1 },
        { seq: 11, at: 2 },
        { due: 2, lost: [12] },
        { seq: 12, at: 5 },
        { due: 30, lost: [], pending: false },
      ],
    ],
    [
      'finds losses across the 16-bit wrap',
      [
        { seq: 65_534, at: 0 },
        { seq: 1, at: 0 },
        { due: 0, lost: [65_535, 0] },
      ],
    ],
    [
      'ignores an old packet it was not missing, without moving the highest',
      [
        { seq: 10, at: 0 },
        { seq: 13, at: 0 },
        { seq: 5, at: 0 },
        { seq: 14, at: 0 },
        { due: 0, lost: [11, 12] },
      ],
    ],
    [
      'asks again every interval, not sooner, and at most eight times',
      [
        { seq: 10, at: 0 },
        { seq: 12, at: 0 },
        { due: 0, lost: [11] },
        { due: 5, lost: [] },
        { due: 20, lost: [11] },
        { due: 40, lost: [11] },
        { due: 60, lost: [11] },
        { due: 80, lost: [11] },
        { due: 100, lost: [11] },
        { due: 120, lost: [11] },
        { due: 140, lost: [11], pending: true },
        { due: 160, lost: [], pending: false },
      ],
    ],
    [
      'gives up on a loss after a second',
      [
        { seq: 10, at: 0 },
        { seq: 12, at: 0 },
        { due: 0, lost: [11] },
        { seq: 15, at: 900 },
        { due: 1001, lost: [13, 14], pending: true },
      ],
    ],
    [
      'asks only for the newest 512 packets of a long gap',
      [
        { seq: 0, at: 0 },
        { seq: 1000, at: 0 },
        { due: 0, lost: range(488, 1000) },
      ],
    ],
    [
      'forgets the oldest losses beyond 512',
      [
        { seq: 0, at: 0 },
        { seq: 401, at: 0 },
        { seq: 602, at: 0 },
        { due: 0, lost: [...range(89, 401), ...range(402, 602)] },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, steps) => {
    const nack = new NackGenerator();
    for (const [index, step] of steps.entries()) {
      if ('seq' in step) {
        nack.onPacket(step.seq, step.at);
        continue;
      }
      expect(nack.due(step.due), `step ${index}: due(${step.due})`).toEqual(step.lost);
      if (step.pending !== undefined) expect(nack.pending, `step ${index}: pending`).toBe(step.pending);
    }
  });
});

describe('TrackReceiver NACKs per layer', () => {
  it('asks each layer’s stream for its own losses, by its own SSRC', async () => {
    const receiver = new TrackReceiver('video', 'video/VP8', 90_000);
    const sent: Array<{ quality: VideoQuality; ssrc: number; lost: number[] }> = [];
    const layers = [
      { quality: VideoQuality.LOW, ssrc: 1111 },
      { quality: VideoQuality.HIGH, ssrc: 3333 },
    ];
    const tracks = layers.map(({ quality }) => {
      const track = new MediaStreamTrack({ kind: 'video', remote: true });
      receiver.addLayer(quality, track, {
        sendPli: () => undefined,
        sendNack: (ssrc, lost) => sent.push({ quality, ssrc, lost }),
      });
      return track;
    });
    const packet = (ssrc: number, sequenceNumber: number) =>
      new RtpPacket(new RtpHeader({ ssrc, sequenceNumber, payloadType: 96 }), Buffer.from([0x10, 0x51]));
    try {
      // Both layers number their packets alike; only the low one loses 101 and 102.
      for (const seq of [100, 103]) tracks[0]!.applyIncomingRtp(packet(1111, seq));
      for (const seq of [100, 101, 102, 103]) tracks[1]!.applyIncomingRtp(packet(3333, seq));
      await vi.waitFor(() => expect(sent.length).toBeGreaterThan(0), { timeout: 2000, interval: 5 });
      expect(sent[0]).toEqual({ quality: VideoQuality.LOW, ssrc: 1111, lost: [101, 102] });
      expect(sent.every((nack) => nack.quality === VideoQuality.LOW)).toBe(true);
    } finally {
      receiver.close();
    }
  });
});
