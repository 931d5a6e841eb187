import { ConnectionQuality } from '@livekit/protocol';

/** What one participant's connection quality is judged from. */
export interface QualityInput {
  /** Its primary peer connection is up. */
  connected: boolean;
  /** Media goes out but no transport-cc feedback came back for a while: its path is down. */
  feedbackLost: boolean;
  /** Packet loss toward it (0–1), from its feedback or receiver reports. */
  loss: number;
  /** Layers the stage gets below what it asks for (0 when it gets all of it). */
  stageLayersBelow: number;
  /** The stage (all video) is paused for want of bandwidth. */
  stagePaused: boolean;
  /** Some other video (a thumbnail) is paused for want of bandwidth. */
  othersPaused: boolean;
}

/**
 * LiveKit's four grades (ConnectionQualityUpdate), from what this server sees of a participant: lost
 * when its connection or its feedback is gone; poor when its picture is paused, two layers short or
 * losing a tenth of its packets; good when it is one layer short, a thumbnail is paused or it loses
 * some packets; else excellent. (LiveKit scores loss, jitter and layer distance into a MOS; these are
 * the same inputs with thresholds a viewer can read off.)
 */
export function connectionQuality(input: QualityInput): ConnectionQuality {
  if (!input.connected || input.feedbackLost) return ConnectionQuality.LOST;
  if (input.stagePaused || input.stageLayersBelow >= 2 || input.loss >= 0.1) return ConnectionQuality.POOR;
  if (input.stageLayersBelow === 1 || input.othersPaused || input.loss >= 0.02) return ConnectionQuality.GOOD;
  return ConnectionQuality.EXCELLENT;
}
