// When the SFU asks a publisher for a keyframe of one layer: at once when no request is out, never closer
// than the publisher's own 300-ms limit, and again when the one out is overdue — never keyframe after
// keyframe for as long as subscribers wait.
import { describe, expect, it } from 'vitest';
import { KeyframeRequests, maxAnswerWaitMs, minRequestSpacingMs } from '../src/sfu/keyframe-requests.js';

/** A step: frames of the layer (from, every, count), a keyframe, or a request and whether it goes out. */
type Step =
  | { frames: [from: number, every: number, count: number] }
  | { keyframe: number }
  | { request: number; sent: false | 'first' | 'repeat' };

function run(steps: Step[]): KeyframeRequests {
  const requests = new KeyframeRequests();
  for (const [index, step] of steps.entries()) {
    const what = `step ${index}: ${JSON.stringify(step)}`;
    if ('frames' in step) {
      const [from, every, count] = step.frames;
      for (let i = 0; i < count; i++) requests.frame(from + i * every);
    } else if ('keyframe' in step) {
      requests.keyframe(step.keyframe);
    } else {
      const result = requests.request(step.request);
      expect(result && (result.repeat ? 'repeat' : 'first'), what).toBe(step.sent || undefined);
    }
  }
  return requests;
}

describe('KeyframeRequests', () => {
  const cases: Array<[string, Step[]]> = [
    [
      'asks at once, then waits for the answer while subscribers keep asking',
      [
        { request: 0, sent: 'first' },
        { request: 10, sent: false },
        { request: 200, sent: false },
        { keyframe: 120 },
      ],
    ],
    [
      'asks anew after an answer, but not within the spacing the publisher would ignore',
      [
        { request: 0, sent: 'first' },
        { keyframe: 100 },
        { request: minRequestSpacingMs - 1, sent: false },
        { request: minRequestSpacingMs, sent: 'first' },
      ],
    ],
    [
      'asks again when the answer is overdue: the time keyframes take plus two frame intervals',
      [
        { frames: [0, 100, 20] }, // 10 fps
        // answers took 150 ms so far, frames come every 100 ms: overdue after 350 ms
        { request: 2000, sent: 'first' },
        { request: 2349, sent: false },
        { request: 2350, sent: 'repeat' },
        { request: 2700, sent: 'repeat' },
        { keyframe: 2750 },
        { request: 2800, sent: false },
        { request: 3050, sent: 'first' },
      ],
    ],
    [
      'waits longer on a layer whose keyframes come slowly',
      [
        { request: 0, sent: 'first' },
        { keyframe: 900 },
        { request: 1000, sent: 'first' },
        { keyframe: 1900 },
        { request: 2000, sent: 'first' },
        { keyframe: 2900 },
        // answers now take ~584 ms on average, frames the default 67 ms: overdue after ~717 ms
        { request: 3000, sent: 'first' },
        { request: 3700, sent: false },
        { request: 3720, sent: 'repeat' },
        { request: 4430, sent: false },
        { request: 4440, sent: 'repeat' },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, steps) => {
    run(steps);
  });

  it('never waits more than the bound for an answer', () => {
    const requests = run([
      { request: 0, sent: 'first' },
      { keyframe: 5000 },
      { request: 6000, sent: 'first' },
      { keyframe: 11000 },
    ]);
    expect(requests.overdueAfterMs).toBe(maxAnswerWaitMs);
    expect(requests.state()).toMatchObject({ unanswered: false, sent: 2, resent: 0 });
  });
});
