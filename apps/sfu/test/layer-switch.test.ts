// A down track's layer switches over time: which keyframes it needs, when it tells the publisher again that
// a layer is needed, and how long each switch made the subscriber wait. (When those needs become requests
// upstream is KeyframeRequests', keyframe-requests.test.ts.)
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { LayerSwitch, overdueMs, type SwitchStep } from '../src/sfu/layer-switch.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;

/** One look at `at` ms with the forwarded layer, the goal and the wanted layer, and what should come of it. */
type Look = {
  at: number;
  current: VideoQuality | undefined;
  goal: VideoQuality;
  wanted?: VideoQuality;
  request?: VideoQuality[];
  renew?: boolean;
  ended?: SwitchStep['ended'];
};
type Step = Look | { restart: number; ended?: SwitchStep['ended'] };

function run(steps: Step[]): LayerSwitch {
  const layerSwitch = new LayerSwitch();
  for (const [index, step] of steps.entries()) {
    const what = `step ${index}: ${JSON.stringify(step)}`;
    if ('restart' in step) {
      expect(layerSwitch.restart(step.restart), what).toEqual(step.ended);
      continue;
    }
    const result = layerSwitch.step(step.at, step.current, step.goal, step.wanted ?? step.goal);
    expect(result, what).toEqual({
      request: step.request ?? [],
      renew: step.renew ?? false,
      ended: step.ended,
    });
  }
  return layerSwitch;
}

describe('LayerSwitch', () => {
  const o = overdueMs;
  const cases: Array<[string, Step[]]> = [
    ['needs nothing while the goal is forwarded', [{ at: 0, current: HIGH, goal: HIGH }]],
    [
      "needs the goal's keyframe until it is forwarded, then ends reached",
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: 100, current: LOW, goal: HIGH, request: [HIGH] },
        { at: 180, current: HIGH, goal: HIGH, ended: { waitMs: 180, outcome: 'reached' } },
        { at: 200, current: HIGH, goal: HIGH },
      ],
    ],
    [
      'once overdue, also needs the layers between, and takes them on the way up',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: o - 1, current: LOW, goal: HIGH, request: [HIGH] },
        { at: o, current: LOW, goal: HIGH, request: [HIGH, MEDIUM] },
        { at: o + 50, current: MEDIUM, goal: HIGH, request: [HIGH] },
        { at: o + 90, current: HIGH, goal: HIGH, ended: { waitMs: o + 90, outcome: 'reached' } },
      ],
    ],
    [
      'before the first keyframe, once overdue needs every layer up to the goal',
      [
        { at: 0, current: undefined, goal: MEDIUM, request: [MEDIUM] },
        { at: o, current: undefined, goal: MEDIUM, request: [MEDIUM, LOW] },
        { at: o + 5, current: LOW, goal: MEDIUM, request: [MEDIUM] },
      ],
    ],
    [
      'going down needs the goal only',
      [
        { at: 0, current: HIGH, goal: LOW, request: [LOW] },
        { at: o, current: HIGH, goal: LOW, request: [LOW] },
      ],
    ],
    [
      'follows a goal that moves while it waits (a layer stops or resumes), without starting over',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: 100, current: LOW, goal: MEDIUM, request: [MEDIUM] },
        { at: 120, current: MEDIUM, goal: MEDIUM, ended: { waitMs: 120, outcome: 'reached' } },
      ],
    ],
    [
      'ends superseded when the subscriber asks for something else first, and starts the next at once',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { restart: 60, ended: { waitMs: 60, outcome: 'superseded' } },
        { at: 60, current: LOW, goal: MEDIUM, request: [MEDIUM] },
        { restart: 90, ended: { waitMs: 30, outcome: 'superseded' } },
        { at: 90, current: LOW, goal: LOW },
        { restart: 95 },
      ],
    ],
    [
      'tells the publisher again, once, when the wanted layer has not been arriving for a while',
      [
        { at: 0, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: o - 1, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: o, current: MEDIUM, goal: MEDIUM, wanted: HIGH, renew: true },
        { at: 3 * o, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: 3 * o + 1, current: MEDIUM, goal: HIGH, wanted: HIGH, request: [HIGH] },
        { restart: 4 * o, ended: { waitMs: o - 1, outcome: 'superseded' } },
        { at: 4 * o, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: 5 * o, current: MEDIUM, goal: MEDIUM, wanted: HIGH, renew: true },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, steps) => {
    run(steps);
  });

  it('shows the pending switch and its last events in its state', () => {
    const layerSwitch = run([
      { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
      { at: o, current: LOW, goal: HIGH, request: [HIGH, MEDIUM] },
    ]);
    expect(layerSwitch.state(o + 40)).toEqual({
      pendingMs: o + 40,
      renewed: false,
      recent: [
        `-${o + 40} ms forwarding LOW (goal HIGH, wanted HIGH)`,
        `-${o + 40} ms needs a keyframe of HIGH`,
        '-40 ms needs a keyframe of HIGH MEDIUM',
      ],
    });
  });
});
