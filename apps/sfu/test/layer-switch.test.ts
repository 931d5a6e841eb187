// A down track's layer switches over time: which keyframes it asks for and when it asks again, when it
// tells the publisher again that a layer is needed, and how long each switch made the subscriber wait.
import { VideoQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { LayerSwitch, rerequestAfterMs, type SwitchStep } from '../src/sfu/layer-switch.js';

const { LOW, MEDIUM, HIGH } = VideoQuality;

/** One look at `at` ms with the forwarded layer, the goal and the wanted layer, and what should come of it. */
type Look = {
  at: number;
  current: VideoQuality | undefined;
  goal: VideoQuality;
  wanted?: VideoQuality;
  request?: VideoQuality[];
  rerequest?: boolean;
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
      rerequest: step.rerequest ?? false,
      renew: step.renew ?? false,
      ended: step.ended,
    });
  }
  return layerSwitch;
}

describe('LayerSwitch', () => {
  const r = rerequestAfterMs;
  const cases: Array<[string, Step[]]> = [
    ['asks nothing while the goal is forwarded', [{ at: 0, current: HIGH, goal: HIGH }]],
    [
      'asks for the goal at once and ends reached when it is forwarded',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: 100, current: LOW, goal: HIGH },
        { at: 180, current: HIGH, goal: HIGH, ended: { waitMs: 180, outcome: 'reached' } },
        { at: 200, current: HIGH, goal: HIGH },
      ],
    ],
    [
      'asks again after the bound, then also for the layers between, and tells the publisher once',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: r - 1, current: LOW, goal: HIGH },
        { at: r, current: LOW, goal: HIGH, request: [HIGH, MEDIUM], rerequest: true },
        { at: r + 50, current: MEDIUM, goal: HIGH },
        { at: 2 * r, current: MEDIUM, goal: HIGH, request: [HIGH], rerequest: true },
        { at: 2 * r + 10, current: HIGH, goal: HIGH, ended: { waitMs: 2 * r + 10, outcome: 'reached' } },
      ],
    ],
    [
      'before the first keyframe, asks again for every layer up to the goal',
      [
        { at: 0, current: undefined, goal: MEDIUM, request: [MEDIUM] },
        { at: r, current: undefined, goal: MEDIUM, request: [MEDIUM, LOW], rerequest: true },
        { at: r + 5, current: LOW, goal: MEDIUM },
      ],
    ],
    [
      'going down asks for the goal only',
      [
        { at: 0, current: HIGH, goal: LOW, request: [LOW] },
        { at: r, current: HIGH, goal: LOW, request: [LOW], rerequest: true },
      ],
    ],
    [
      'follows a goal that moves while it waits (a layer stops or resumes), without starting over',
      [
        { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
        { at: 100, current: LOW, goal: MEDIUM },
        { at: r, current: LOW, goal: MEDIUM, request: [MEDIUM], rerequest: true },
        { at: r + 20, current: MEDIUM, goal: MEDIUM, ended: { waitMs: r + 20, outcome: 'reached' } },
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
      'tells the publisher again, once, when the wanted layer has not been arriving for the bound',
      [
        { at: 0, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: r - 1, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: r, current: MEDIUM, goal: MEDIUM, wanted: HIGH, renew: true },
        { at: 3 * r, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: 3 * r + 1, current: MEDIUM, goal: HIGH, wanted: HIGH, request: [HIGH] },
        { restart: 4 * r, ended: { waitMs: r - 1, outcome: 'superseded' } },
        { at: 4 * r, current: MEDIUM, goal: MEDIUM, wanted: HIGH },
        { at: 5 * r, current: MEDIUM, goal: MEDIUM, wanted: HIGH, renew: true },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, steps) => {
    run(steps);
  });

  it('shows the pending switch in its state', () => {
    const layerSwitch = run([
      { at: 0, current: LOW, goal: HIGH, request: [HIGH] },
      { at: r, current: LOW, goal: HIGH, request: [HIGH, MEDIUM], rerequest: true },
    ]);
    expect(layerSwitch.state(r + 40)).toEqual({
      pendingMs: r + 40,
      requests: 2,
      rerequests: 1,
      renewed: false,
    });
  });
});
