import {
  PacketStatus,
  RecvDelta,
  type RTCDtlsTransport,
  RtcpTransportLayerFeedback,
  type RtpPacket,
  RunLengthChunk,
  TransportWideCC,
} from 'werift';
import { guard } from '../guard.js';

const feedbackIntervalMs = 50;
const maxPacketsPerFeedback = 1000;
const deltaUnitUs = 250;
const referenceUnitUs = 64_000;

interface Arrival {
  seq: number;
  atUs: number;
}

/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions): tells a
 * publisher when each of its packets arrived, so its send-side bandwidth estimator can ramp up to the
 * top simulcast layer and back off on a poor uplink. One per peer connection, covering every stream.
 */
export class TwccResponder {
  private arrivals: Arrival[] = [];
  private nextSeq: number | undefined;
  private lastUnwrapped: number | undefined;
  private feedbackCount = 0;
  private mediaSsrc = 0;
  private readonly timer: NodeJS.Timeout;

  private readonly clock = new ArrivalClock();

  constructor(
    private readonly transport: RTCDtlsTransport,
    private readonly extensionIds: () => { twcc?: number; absSendTime?: number },
    private readonly senderSsrc: number,
  ) {
    this.timer = setInterval(
      guard('twcc_timer', undefined, () => this.flush()),
      feedbackIntervalMs,
    );
    this.timer.unref();
  }

  onRtp(packet: RtpPacket): void {
    const ids = this.extensionIds();
    if (ids.twcc === undefined) return;
    const ext = packet.header.extensions.find((e) => e.id === ids.twcc);
    if (!ext || ext.payload.length < 2) return;
    const absSendTime = packet.header.extensions.find((e) => e.id === ids.absSendTime);
    const seq = this.unwrap(ext.payload.readUInt16BE(0));
    if (this.nextSeq !== undefined && seq < this.nextSeq) return; // already reported
    this.mediaSsrc = packet.header.ssrc;
    const sendTime =
      absSendTime && absSendTime.payload.length >= 3 ? absSendTime.payload.readUIntBE(0, 3) : undefined;
    this.arrivals.push({ seq, atUs: this.clock.arrival(performance.now() * 1000, sendTime) });
    if (this.arrivals.length >= maxPacketsPerFeedback) this.flush();
  }

  private unwrap(seq16: number): number {
    if (this.lastUnwrapped === undefined) {
      this.lastUnwrapped = seq16;
      return seq16;
    }
    const last16 = this.lastUnwrapped & 0xffff;
    let diff = seq16 - last16;
    if (diff > 0x8000) diff -= 0x10000;
    if (diff < -0x8000) diff += 0x10000;
    const unwrapped = this.lastUnwrapped + diff;
    if (unwrapped > this.lastUnwrapped) this.lastUnwrapped = unwrapped;
    return unwrapped;
  }

  private flush(): void {
    if (this.arrivals.length === 0) return;
    const arrivals = this.arrivals.sort((a, b) => a.seq - b.seq);
    this.arrivals = [];
    const base = this.nextSeq ?? arrivals[0]!.seq;
    const last = arrivals[arrivals.length - 1]!.seq;
    this.nextSeq = last + 1;
    const bySeq = new Map(arrivals.map((a) => [a.seq, a.atUs]));
    const referenceTime = Math.floor(arrivals[0]!.atUs / referenceUnitUs);
    let previousUs = referenceTime * referenceUnitUs;
    const statuses: PacketStatus[] = [];
    const deltas: RecvDelta[] = [];
    for (let seq = base; seq <= last; seq++) {
      const atUs = bySeq.get(seq);
      if (atUs === undefined) {
        statuses.push(PacketStatus.TypeTCCPacketNotReceived);
        continue;
      }
      // Quantise to 250 µs and carry the rounding forward so deltas never drift from real arrival times.
      let units = Math.round((atUs - previousUs) / deltaUnitUs);
      units = Math.max(-32768, Math.min(32767, units));
      previousUs += units * deltaUnitUs;
      const small = units >= 0 && units <= 255;
      const type = small
        ? PacketStatus.TypeTCCPacketReceivedSmallDelta
        : PacketStatus.TypeTCCPacketReceivedLargeDelta;
      statuses.push(type);
      deltas.push(new RecvDelta({ type, delta: units * deltaUnitUs }));
    }
    const chunks: RunLengthChunk[] = [];
    for (let i = 0; i < statuses.length; ) {
      let run = 1;
      while (i + run < statuses.length && statuses[i + run] === statuses[i] && run < 8191) run++;
      chunks.push(new RunLengthChunk({ packetStatus: statuses[i]!, runLength: run }));
      i += run;
    }
    const feedback = new TransportWideCC({
      senderSsrc: this.senderSsrc,
      mediaSourceSsrc: this.mediaSsrc,
      baseSequenceNumber: base & 0xffff,
      packetStatusCount: statuses.length,
      referenceTime: referenceTime & 0xffffff,
      fbPktCount: this.feedbackCount++ & 0xff,
      packetChunks: chunks,
      recvDeltas: deltas,
    });
    // Pad to a 32-bit boundary: unpadded, werift truncates the RTCP length and receivers drop the tail.
    feedback.header.padding = true;
    this.transport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

const absSendTimeWrapUs = (2 ** 24 * 1e6) / 2 ** 18; // 64 s
const lowerEnvelopeUs = 150_000;

/**
 * Estimates when a packet reached the host rather than when the event loop got to it. JavaScript sees
 * packets in bursts (a busy loop delays some by tens of ms), which a send-side estimator would read as
 * congestion. With the sender's abs-send-time, the arrival is the send time plus the lowest one-way
 * offset seen over the last 150 ms: loop jitter is filtered out, while queueing that persists (real
 * congestion) still raises the offset and is reported.
 */
class ArrivalClock {
  private lastSendUs: number | undefined;
  private sendEpochUs = 0;
  private window: Array<{ atUs: number; offsetUs: number }> = [];

  arrival(nowUs: number, absSendTime: number | undefined): number {
    if (absSendTime === undefined) return Math.round(nowUs);
    let sendUs = (absSendTime * 1e6) / 2 ** 18 + this.sendEpochUs;
    if (this.lastSendUs !== undefined && sendUs < this.lastSendUs - absSendTimeWrapUs / 2) {
      this.sendEpochUs += absSendTimeWrapUs;
      sendUs += absSendTimeWrapUs;
    }
    this.lastSendUs = Math.max(this.lastSendUs ?? sendUs, sendUs);
    const offsetUs = nowUs - sendUs;
    this.window.push({ atUs: nowUs, offsetUs });
    while (this.window.length > 0 && nowUs - this.window[0]!.atUs > lowerEnvelopeUs) this.window.shift();
    let minOffset = offsetUs;
    for (const entry of this.window) if (entry.offsetUs < minOffset) minOffset = entry.offsetUs;
    return Math.round(Math.min(nowUs, sendUs + minOffset));
  }
}
