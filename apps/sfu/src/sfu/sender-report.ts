import { ntpTime, type RTCRtpSender, uint32Add } from 'werift';

/** A report reads both times within microseconds; one snapshot serves them (and its compact form). */
const snapshotMs = 5;

/**
 * The publisher's capture clock of one incoming RTP stream, from its RTCP sender reports: which RTP time
 * it had when its last report reached us. Extrapolated at the stream's clock rate, it gives the RTP time
 * of the moment being captured "now" — shifted by the publisher's uplink delay, the same for its picture
 * and its sound, so what each report pairs stays in step between them.
 */
export class CaptureClock {
  private report: { rtpTimestamp: number; at: number } | undefined;

  constructor(private readonly clockRate: number) {}

  /** A sender report arrived at `at` (ms, performance clock). */
  senderReport(rtpTimestamp: number, at = performance.now()): void {
    this.report = { rtpTimestamp, at };
  }

  /** The stream's RTP time at `now`; undefined before its first report. */
  rtpTimeAt(now = performance.now()): number | undefined {
    const report = this.report;
    if (!report) return undefined;
    const elapsed = Math.round(((now - report.at) * this.clockRate) / 1000);
    return uint32Add(report.rtpTimestamp, elapsed);
  }
}

/**
 * Makes a werift sender's RTCP sender reports pair our wall clock with `rtpTimeAt(now)` — the outgoing RTP
 * time of the moment the publisher captures now — in place of werift's pairing of the last packet's RTP
 * time with when it left us. A subscriber syncs picture and sound by these pairs: werift's own counted
 * every delay before the packet left (an encoder, a pacer, ours too) as capture time, so a publisher whose
 * picture leaves later than its sound (a phone's pacer on a busy uplink) had them played that far apart
 * (test/sender-reports.test.ts). Where `rtpTimeAt` has nothing yet, werift's own pairing goes out.
 * werift keeps the pair in two fields it writes per packet and reads once per report, so they become
 * accessors here; checked, so that a werift without them fails loudly.
 */
export function reportCaptureClock(
  sender: RTCRtpSender,
  rtpTimeAt: (now: number) => number | undefined,
): void {
  const fields = sender as unknown as { ntpTimestamp: unknown; rtpTimestamp: unknown };
  if (typeof fields.ntpTimestamp !== 'bigint' || typeof fields.rtpTimestamp !== 'number')
    throw new Error('werift changed: its sender keeps no ntpTimestamp/rtpTimestamp pair for its reports');
  const own = { ntp: fields.ntpTimestamp, rtp: fields.rtpTimestamp };
  let snapshot = { at: Number.NEGATIVE_INFINITY, ntp: own.ntp, rtp: own.rtp };
  const current = () => {
    const now = performance.now();
    if (now - snapshot.at >= snapshotMs) {
      const rtp = rtpTimeAt(now);
      snapshot = rtp === undefined ? { at: now, ...own } : { at: now, ntp: ntpTime(), rtp };
    }
    return snapshot;
  };
  Object.defineProperty(sender, 'ntpTimestamp', {
    configurable: true,
    get: () => current().ntp,
    set: (ntp: bigint) => {
      own.ntp = ntp;
    },
  });
  Object.defineProperty(sender, 'rtpTimestamp', {
    configurable: true,
    get: () => current().rtp,
    set: (rtp: number) => {
      own.rtp = rtp;
    },
  });
}
