// The down track's layer choice: which simulcast layer one subscriber gets, switching only at a keyframe
// of a layer on the way to the wanted one, lowered by the congestion cap, away from layers the publisher
// paused. Which keyframes to ask for is LayerSwitch's (layer-switch.test.ts).
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { Forwarder } from '../src/sfu/forwarder.js';
import type { MediaKind } from '../src/sfu/receiver.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;

/**
 * One step: a packet of a layer (K = keyframe start, P = padding) and what comes of it — the outgoing
 * sequence number or a drop, a layer switch — or a change the subscriber makes, or the goal it leads to.
 */
type Step =
  | {
      packet: [VideoQuality, seq: number, flags?: 'K' | 'P'];
      at?: number;
      out: number | 'drop';
      switched?: boolean;
    }
  | { target: VideoQuality }
  | { cap: VideoQuality }
  | { paused: boolean }
  | { live: VideoQuality[] }
  | { goal: VideoQuality; at?: number };

function run(kind: MediaKind, initial: VideoQuality, steps: Step[]): Forwarder {
  let live: VideoQuality[] = [LOW, MEDIUM, HIGH];
  const forwarder = new Forwarder(kind, 90_000, initial, () => live);
  for (const [index, step] of steps.entries()) {
    const what = `step ${index}: ${JSON.stringify(step)}`;
    if ('live' in step) {
      live = step.live;
    } else if ('packet' in step) {
      const [quality, seq, flags] = step.packet;
      const before = forwarder.currentQuality;
      const result = forwarder.forward(quality, seq, seq * 100, flags === 'K', flags === 'P', step.at ?? 0);
      expect(result.header?.sequenceNumber ?? 'drop', what).toBe(step.out);
      expect(result.switched, what).toBe(step.switched ?? false);
      // Every packet that starts a source re-bases the numbering (the VP8 munger follows it), no other.
      expect(result.rebased, what).toBe(quality !== before && result.header !== undefined);
    } else if ('target' in step) {
      forwarder.setTarget(step.target);
    } else if ('cap' in step) {
      forwarder.setCap(step.cap);
    } else if ('paused' in step) {
      forwarder.setPaused(step.paused);
    } else {
      expect(forwarder.goal(step.at ?? 0), what).toBe(step.goal);
    }
  }
  return forwarder;
}

describe('Forwarder', () => {
  const cases: Array<[string, VideoQuality, Step[], VideoQuality | undefined]> = [
    [
      'starts at a keyframe of the target, ignoring other packets',
      HIGH,
      [
        { packet: [HIGH, 100], out: 'drop' },
        { packet: [HIGH, 101, 'K'], out: 101 },
        { packet: [HIGH, 102], out: 102 },
        { packet: [LOW, 501, 'K'], out: 'drop' },
        { packet: [MEDIUM, 601, 'K'], out: 'drop' },
      ],
      HIGH,
    ],
    [
      'starts at a keyframe of any layer up to the target, then moves up at the next',
      HIGH,
      [
        { packet: [LOW, 500, 'K'], out: 500 },
        { packet: [HIGH, 100], out: 'drop' },
        { packet: [MEDIUM, 600, 'K'], out: 501, switched: true },
        { packet: [LOW, 501, 'K'], out: 'drop' },
        { packet: [HIGH, 101, 'K'], out: 502, switched: true },
      ],
      HIGH,
    ],
    [
      'keeps the old layer until the new one has a keyframe, then switches without a gap',
      HIGH,
      [
        { packet: [HIGH, 100, 'K'], out: 100 },
        { target: LOW },
        { packet: [HIGH, 101], out: 101 },
        { packet: [LOW, 7000], out: 'drop' },
        { packet: [LOW, 7001, 'K'], out: 102, switched: true },
        { packet: [HIGH, 102, 'K'], out: 'drop' },
        { packet: [MEDIUM, 300, 'K'], out: 'drop' },
        { packet: [LOW, 7002], out: 103 },
      ],
      LOW,
    ],
    [
      'going up, takes a keyframe of a layer between: a stopped target that still looks live holds nothing back',
      LOW,
      [
        { packet: [LOW, 1, 'K'], out: 1 },
        { target: HIGH },
        { goal: HIGH },
        { packet: [MEDIUM, 50, 'K'], out: 2, switched: true },
        { packet: [MEDIUM, 51], out: 3 },
        { packet: [HIGH, 80], out: 'drop' },
        { packet: [HIGH, 81, 'K'], out: 4, switched: true },
      ],
      HIGH,
    ],
    [
      'going down, takes a keyframe of a layer between, never one below the target',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], out: 1 },
        { target: MEDIUM },
        { packet: [LOW, 70, 'K'], out: 'drop' },
        { packet: [MEDIUM, 50, 'K'], out: 2, switched: true },
      ],
      MEDIUM,
    ],
    [
      'takes the keyframe of a layer the publisher resumes before it counts as live again',
      LOW,
      [
        { live: [LOW] },
        { packet: [LOW, 1, 'K'], at: 0, out: 1 },
        { target: MEDIUM },
        { goal: LOW, at: 10 },
        // dynacast resumed MEDIUM: its first frame is a keyframe, inside the 250 ms the goal is kept
        { packet: [MEDIUM, 900, 'K'], at: 50, out: 2, switched: true },
      ],
      MEDIUM,
    ],
    [
      'asks for nothing new when the target is the layer already forwarded',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], out: 1 },
        { target: MEDIUM },
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
        { cap: MEDIUM },
        { goal: MEDIUM },
        { packet: [MEDIUM, 50, 'K'], out: 2, switched: true },
        { target: HIGH }, // the subscriber still wants HIGH: the cap holds
        { packet: [HIGH, 2, 'K'], out: 'drop' },
        { cap: HIGH },
        { packet: [HIGH, 3, 'K'], out: 3, switched: true },
      ],
      HIGH,
    ],
    [
      'aims at the nearest live layer below a paused target, else the one above, and takes the target back when it returns',
      HIGH,
      [
        { live: [LOW, MEDIUM] },
        { goal: MEDIUM },
        { packet: [MEDIUM, 1, 'K'], out: 1 },
        { packet: [HIGH, 1, 'K'], out: 2, switched: true },
        { live: [MEDIUM, HIGH] },
        { target: LOW },
        { goal: MEDIUM, at: 1000 },
        { packet: [MEDIUM, 2, 'K'], at: 1000, out: 3, switched: true },
      ],
      MEDIUM,
    ],
    [
      'aims at the target when no layer is live yet',
      MEDIUM,
      [{ live: [] }, { goal: MEDIUM }, { packet: [MEDIUM, 9, 'K'], out: 9 }],
      MEDIUM,
    ],
    [
      'reuses its goal for 250 ms before looking at the live layers again, then steps down',
      HIGH,
      [
        { packet: [HIGH, 1, 'K'], at: 0, out: 1 },
        { live: [LOW] },
        { packet: [LOW, 9, 'K'], at: 100, out: 'drop' },
        { packet: [HIGH, 2], at: 100, out: 2 },
        { goal: LOW, at: 300 },
        { packet: [LOW, 10, 'K'], at: 310, out: 3, switched: true },
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
        { paused: false },
        { packet: [HIGH, 3], out: 'drop' },
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

  it('forwards audio from the first packet', () => {
    const forwarder = run('audio', HIGH, [
      { packet: [HIGH, 40], out: 40 },
      { packet: [HIGH, 41, 'P'], out: 'drop' },
      { packet: [HIGH, 42], out: 41 },
    ]);
    expect(forwarder.currentQuality).toBe(HIGH);
  });
});
