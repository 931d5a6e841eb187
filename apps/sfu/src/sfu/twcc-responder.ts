import {
  PacketStatus,
  RecvDelta,
  type RTCDtlsTransport,
  RtcpTransportLayerFeedback,
  type RtpPacket,
  RunLengthChunk,
  TransportWideCC,
} from 'werift';

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

  constructor(
    private readonly transport: RTCDtlsTransport,
    private readonly extensionId: () => number | undefined,
    private readonly senderSsrc: number,
  ) {
    this.timer = setInterval(() => this.flush(), feedbackIntervalMs);
    this.timer.unref();
  }

  onRtp(packet: RtpPacket): void {
    const id = this.extensionId();
    if (id === undefined) return;
    const ext = packet.header.extensions.find((e) => e.id === id);
    if (!ext || ext.payload.length < 2) return;
    const seq = this.unwrap(ext.payload.readUInt16BE(0));
    if (this.nextSeq !== undefined && seq < this.nextSeq) return; // already reported
    this.mediaSsrc = packet.header.ssrc;
    this.arrivals.push({ seq, atUs: Math.round(performance.now() * 1000) });
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
    this.transport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
