// The down track's layer choice: which simulcast layer one subscriber gets, switching only at a keyframe
// of the wanted layer, lowered by the congestion cap, away from layers the publisher paused.
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { Forwarder } from '../src/sfu/forwarder.js';
import type { MediaKind } from '../src/sfu/receiver.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;

/**
 * One step: a packet of a layer (K = keyframe start, P = padding) and what comes of it — the outgoing
 * sequence number or a drop, a keyframe request, a layer switch — or a change the subscriber makes.
 */
type Step =
  | {
      packet: [VideoQuality, seq: number, flags?: 'K' | 'P'];
      at?: number;
      out: number | 'drop';
      keyframe?: VideoQuality;
      switched?: boolean;
    }
  | { target: VideoQuality; at?: number; keyframe?: VideoQuality }
  | { cap: VideoQuality; at?: number; keyframe: VideoQuality }
  | { paused: boolean; at?: number; keyframe?: VideoQuality }
  | { live: VideoQuality[] };

function run(kind: MediaKind, initial: VideoQuality, steps: Step[]): Forwarder {
  let live: VideoQuality[] = [LOW, MEDIUM, HIGH];
  const forwarder = new Forwarder(kind, 90_000, initial, () => live);
  for (const [index, step] of steps.entries()) {
    const what = `step ${index}: ${JSON.stringify(step)}`;
    if ('live' in step) {
      live = step.live;
    } else if ('packet' in step) {
      const [quality, seq, flags] = step.packet;
      const result = forwarder.forward(quality, seq, seq * 100, flags === 'K', flags === 'P', step.at ?? 0);
      expect(result.header?.sequenceNumber ?? 'drop', what).toBe(step.out);
      expect(result.keyframeRequest, what).toBe(step.keyframe);
      expect(result.switched, what).toBe(step.switched ?? false);
    } else if ('target' in step) {
      expect(forwarder.setTarget(step.target, step.at ?? 0), what).toBe(step.keyframe);
    } else if ('cap' in step) {
      expect(forwarder.setCap(step.cap, step.at ?? 0), what).toBe(step.keyframe);
    } else {
      expect(forwarder.setPaused(step.paused, step.at ?? 0), what).toBe(step.keyframe);
    }
  }
  return forwarder;
}

describe('Forwarder', () => {
  const cases: Array<[string, VideoQuality, Step[], VideoQuality | undefined]> = [
    [
      'waits for a keyframe of the target, asking for one, and ignores other layers',
      HIGH,
      [
        { packet: [LOW, 500, 'K'], out: 'drop' },
        { packet: [HIGH, 100], out: 'drop', keyframe: HIGH },
        { packet: [HIGH, 101, 'K'], out: 101 },
        { packet: [HIGH, 102], out: 102 },
        { packet: [LOW, 501], out: 'drop' },
      ],
      HIGH,
    ],
    [
      'keeps the old layer until the new one has a keyframe, then switches without a gap',
      HIGH,
      [
        { packet: [HIGH, 100, 'K'], out: 100 },
        { target: LOW, keyframe: LOW },
        { packet: [HIGH, 101], out: 101, keyframe: LOW },
        { packet: [LOW, 7000], out: 'drop', keyframe: LOW },
        { packet: [LOW, 7001, 'K'], out: 102, switched: true },
        { packet: [HIGH, 102, 'K'], out: 'drop' },
        { packet: [LOW, 7002], out: 103 },
      ],
      LOW,
    ],
    [
      'asks for nothing when the target is the layer already forwarded',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], out: 1 },
        { target: MEDIUM, keyframe: MEDIUM },
        { target: HIGH },
        { packet: [HIGH, 2], out: 2 },
      ],
      HIGH,
    ],
    [
      'steps down to the congestion cap and back up when it lifts',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], out: 1 },
        { cap: MEDIUM, keyframe: MEDIUM },
        { packet: [MEDIUM, 50, 'K'], out: 2, switched: true },
        { target: HIGH }, // the subscriber still wants HIGH: the cap holds
        { packet: [HIGH, 2, 'K'], out: 'drop' },
        { cap: HIGH, keyframe: HIGH },
        { packet: [HIGH, 3, 'K'], out: 3, switched: true },
      ],
      HIGH,
    ],
    [
      'takes the nearest live layer below a paused target, else the one above',
      HIGH,
      [
        { live: [LOW, MEDIUM] },
        { packet: [HIGH, 1, 'K'], out: 'drop' },
        { packet: [MEDIUM, 1, 'K'], out: 1 },
        { live: [MEDIUM, HIGH] },
        { target: LOW, keyframe: MEDIUM },
        { packet: [MEDIUM, 2], at: 1000, out: 2 },
      ],
      MEDIUM,
    ],
    [
      'takes the target when no layer is live yet',
      MEDIUM,
      [{ live: [] }, { packet: [MEDIUM, 9, 'K'], out: 9 }],
      MEDIUM,
    ],
    [
      'reuses its choice for 250 ms before looking at the live layers again',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], at: 0, out: 1 },
        { live: [LOW] },
        { packet: [HIGH, 2], at: 100, out: 2 },
        { packet: [HIGH, 3], at: 300, out: 3, keyframe: LOW },
        { packet: [LOW, 10, 'K'], at: 310, out: 4, switched: true },
      ],
      LOW,
    ],
    [
      'drops everything while paused and starts again at a keyframe after a resume',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], out: 1 },
        { paused: true },
        { packet: [HIGH, 2, 'K'], out: 'drop' },
        { paused: true },
        { paused: false, keyframe: HIGH },
        { packet: [HIGH, 3], out: 'drop', keyframe: HIGH },
        { packet: [HIGH, 4, 'K'], out: 2 },
      ],
      HIGH,
    ],
    [
      'drops padding of the forwarded layer without a hole',
      LOW,
      [
        { packet: [LOW, 1, 'K'], out: 1 },
        { packet: [LOW, 2, 'P'], out: 'drop' },
        { packet: [LOW, 3], out: 2 },
      ],
      LOW,
    ],
  ];

  it.each(cases)('%s', (_name, initial, steps, forwarded) => {
    expect(run('video', initial, steps).currentQuality).toBe(forwarded);
  });

  it('forwards audio from the first packet and never asks for a keyframe', () => {
    const forwarder = run('audio', HIGH, [
      { packet: [HIGH, 40], out: 40 },
      { packet: [HIGH, 41, 'P'], out: 'drop' },
      { packet: [HIGH, 42], out: 41 },
    ]);
    expect(forwarder.currentQuality).toBe(HIGH);
  });
});
