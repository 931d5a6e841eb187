// LiveKit's connection-quality grades from what the SFU sees of a viewer.
import { ConnectionQuality } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { connectionQuality, type QualityInput } from '../src/sfu/connection-quality.js';

const fine: QualityInput = {
  connected: true,
  feedbackLost: false,
  loss: 0,
  stageLayersBelow: 0,
  stagePaused: false,
  othersPaused: false,
};
const { EXCELLENT, GOOD, POOR, LOST } = ConnectionQuality;

describe('connectionQuality', () => {
  it.each<[string, Partial<QualityInput>, ConnectionQuality]>([
    ['everything it asks for, no loss', {}, EXCELLENT],
    ['1 % loss', { loss: 0.01 }, EXCELLENT],
    ['the stage one layer short', { stageLayersBelow: 1 }, GOOD],
    ['a thumbnail paused', { othersPaused: true }, GOOD],
    ['3 % loss', { loss: 0.03 }, GOOD],
    ['the stage two layers short', { stageLayersBelow: 2 }, POOR],
    ['the picture paused', { stagePaused: true, othersPaused: true }, POOR],
    ['12 % loss', { loss: 0.12 }, POOR],
    ['no feedback while sending', { feedbackLost: true }, LOST],
    ['its connection down', { connected: false }, LOST],
  ])('%s', (_name, input, expected) => {
    expect(connectionQuality({ ...fine, ...input })).toBe(expected);
  });
});
