import { SpeakerInfo } from '@livekit/protocol';

/** A level change smaller than this (dB) is not news; speakers' loudness wobbles all the time. */
const levelStepDb = 3;

function step(level: number): number {
  return level > 0 ? Math.round((20 * Math.log10(level)) / levelStepDb) : Number.NEGATIVE_INFINITY;
}

/**
 * What a room's participants are told about who is speaking (LiveKit's SpeakersChanged): only the
 * speakers whose state changed since the last update — started, stopped, or louder or quieter by a step.
 */
export class SpeakerUpdates {
  /** Participant sid -> the level last sent (only speakers). */
  private sent = new Map<string, number>();

  /** Who is speaking now, as last announced: what a participant that just joined is told. */
  current(): SpeakerInfo[] {
    return [...this.sent]
      .map(([sid, level]) => new SpeakerInfo({ sid, level, active: true }))
      .sort((a, b) => b.level - a.level);
  }

  /** `levels`: each participant's loudest track now (0 = silent). Returns the changes to send, if any. */
  changes(levels: ReadonlyMap<string, number>): SpeakerInfo[] {
    const changed: SpeakerInfo[] = [];
    for (const [sid, level] of levels) {
      const before = this.sent.get(sid);
      if (level > 0 && (before === undefined || step(before) !== step(level))) {
        changed.push(new SpeakerInfo({ sid, level, active: true }));
        this.sent.set(sid, level);
      }
    }
    for (const sid of this.sent.keys()) {
      if ((levels.get(sid) ?? 0) > 0) continue;
      changed.push(new SpeakerInfo({ sid, level: 0, active: false }));
      this.sent.delete(sid);
    }
    // Loudest first, as LiveKit orders them.
    return changed.sort((a, b) => b.level - a.level);
  }
}
