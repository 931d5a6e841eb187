import {
  PacketChunk,
  PacketStatus,
  RecvDelta,
  type RTCDtlsTransport,
  RtcpTransportLayerFeedback,
  type RtpPacket,
  RunLengthChunk,
  StatusVectorChunk,
  TransportWideCC,
} from 'werift';
import { guard } from '../guard.js';
import { seqDiff } from './rtp-munger.js';

const feedbackIntervalMs = 50;
const maxPacketsPerFeedback = 1000;
const deltaUnitUs = 250;
const referenceUnitUs = 64_000;
const maxRunLength = 0x1fff;
/** Two SSRCs, base sequence number, status count, reference time and feedback count. */
const fixedFieldBytes = 16;
const deltaBytes = (d: RecvDelta) => (d.type === PacketStatus.TypeTCCPacketReceivedSmallDelta ? 1 : 2);

/** One packet that arrived: its transport-wide sequence number (unwrapped) and arrival time. */
export interface TwccArrival {
  seq: number;
  atUs: number;
}

/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions): tells a
 * publisher when each of its packets arrived, so its send-side bandwidth estimator can ramp up to the
 * top simulcast layer and back off on a poor uplink. One per peer connection, covering every stream.
 * This class is the I/O around `TwccFeedback`: it reads the header extensions and sends on a timer.
 */
export class TwccResponder {
  private readonly feedback: TwccFeedback;
  private readonly clock = new ArrivalClock();
  /** Packets read since the last feedback, stamped when it is sent: see ArrivalClock. */
  private pending: Array<{ seq: number; ssrc: number; reading: Reading }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly transport: RTCDtlsTransport,
    private readonly extensionIds: () => { twcc?: number; absSendTime?: number },
    senderSsrc: number,
  ) {
    this.feedback = new TwccFeedback(senderSsrc);
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
    const sendTime =
      absSendTime && absSendTime.payload.length >= 3 ? absSendTime.payload.readUIntBE(0, 3) : undefined;
    this.pending.push({
      seq: ext.payload.readUInt16BE(0),
      ssrc: packet.header.ssrc,
      reading: { nowUs: performance.now() * 1000, absSendTime: sendTime },
    });
    if (this.pending.length >= maxPacketsPerFeedback) this.flush();
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = [];
    const arrivals = this.clock.stamp(pending.map((p) => p.reading));
    pending.forEach((p, i) => {
      this.feedback.record(p.seq, arrivals[i]!, p.ssrc);
    });
    const feedback = this.feedback.take();
    if (!feedback) return;
    this.transport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The feedback state of one connection: arrivals since the last feedback, the next sequence number to
 * report and the feedback count. Each `take()` reports every sequence number from where the previous
 * one stopped; packets that arrive after their number was reported lost stay lost.
 */
export class TwccFeedback {
  private arrivals: TwccArrival[] = [];
  private nextSeq: number | undefined;
  private highest: number | undefined;
  private count = 0;
  private mediaSsrc = 0;

  constructor(private readonly senderSsrc: number) {}

  /** A packet with this 16-bit transport-wide sequence number arrived at `atUs`. */
  record(seq16: number, atUs: number, mediaSsrc: number): void {
    const seq = this.unwrap(seq16);
    if (this.nextSeq !== undefined && seq < this.nextSeq) return; // already reported
    this.mediaSsrc = mediaSsrc;
    this.arrivals.push({ seq, atUs });
  }

  /** The feedback packet for everything recorded since the last one, or undefined when nothing was. */
  take(): TransportWideCC | undefined {
    if (this.arrivals.length === 0) return undefined;
    const arrivals = this.arrivals.sort((a, b) => a.seq - b.seq);
    this.arrivals = [];
    const baseSeq = this.nextSeq ?? arrivals[0]!.seq;
    this.nextSeq = arrivals[arrivals.length - 1]!.seq + 1;
    return encodeTwccFeedback({
      senderSsrc: this.senderSsrc,
      mediaSsrc: this.mediaSsrc,
      baseSeq,
      arrivals,
      count: this.count++,
    });
  }

  private unwrap(seq16: number): number {
    if (this.highest === undefined) {
      this.highest = seq16;
      return seq16;
    }
    const unwrapped = this.highest + seqDiff(seq16, this.highest & 0xffff);
    if (unwrapped > this.highest) this.highest = unwrapped;
    return unwrapped;
  }
}

/**
 * One feedback packet for the sequence numbers from `baseSeq` to the last arrival (`arrivals` sorted by
 * sequence number, none before `baseSeq`): the reference time is the first arrival's, floored to 64 ms;
 * each received packet's delta is quantised to 250 µs from the one before, the rounding carried forward
 * so the deltas never drift from the real arrival times.
 */
export function encodeTwccFeedback(input: {
  senderSsrc: number;
  mediaSsrc: number;
  baseSeq: number;
  arrivals: readonly TwccArrival[];
  count: number;
}): TransportWideCC {
  const { arrivals, baseSeq } = input;
  const bySeq = new Map(arrivals.map((a) => [a.seq, a.atUs]));
  const last = arrivals[arrivals.length - 1]!.seq;
  const referenceTime = Math.floor(arrivals[0]!.atUs / referenceUnitUs);
  let previousUs = referenceTime * referenceUnitUs;
  const statuses: PacketStatus[] = [];
  const deltas: RecvDelta[] = [];
  for (let seq = baseSeq; seq <= last; seq++) {
    const atUs = bySeq.get(seq);
    if (atUs === undefined) {
      statuses.push(PacketStatus.TypeTCCPacketNotReceived);
      continue;
    }
    const units = Math.max(-32768, Math.min(32767, Math.round((atUs - previousUs) / deltaUnitUs)));
    previousUs += units * deltaUnitUs;
    const type =
      units >= 0 && units <= 255
        ? PacketStatus.TypeTCCPacketReceivedSmallDelta
        : PacketStatus.TypeTCCPacketReceivedLargeDelta;
    statuses.push(type);
    deltas.push(new RecvDelta({ type, delta: units * deltaUnitUs }));
  }
  const feedback = new TransportWideCC({
    senderSsrc: input.senderSsrc,
    mediaSourceSsrc: input.mediaSsrc,
    baseSequenceNumber: baseSeq & 0xffff,
    packetStatusCount: statuses.length,
    referenceTime: referenceTime & 0xffffff,
    fbPktCount: input.count & 0xff,
    packetChunks: packStatusChunks(statuses),
    recvDeltas: deltas,
  });
  // Padded to a 32-bit boundary when it is not on one (unpadded, werift truncates the RTCP length and a
  // receiver drops the tail). Never the padding bit alone: werift then adds no padding, and a receiver
  // reads the last delta as the padding count and drops or cuts the whole feedback (libwebrtc did, for
  // one feedback in four, and the publisher's estimate fell for the packets it never heard of).
  const bytes =
    fixedFieldBytes + 2 * feedback.packetChunks.length + deltas.reduce((n, d) => n + deltaBytes(d), 0);
  feedback.header.padding = bytes % 4 !== 0;
  return feedback;
}

/**
 * Packet status chunks, each two bytes: a run of one status (up to 8191) as a run-length chunk; mixed
 * statuses as a status vector, 14 one-bit symbols when no large delta is among them, else 7 two-bit ones.
 * A run of 14 or more (or the rest of the list) always goes as a run, as does a run of 7 or more where a
 * two-bit vector would be needed, since a vector could not hold more of it.
 */
export function packStatusChunks(
  statuses: readonly PacketStatus[],
): Array<RunLengthChunk | StatusVectorChunk> {
  const chunks: Array<RunLengthChunk | StatusVectorChunk> = [];
  let i = 0;
  while (i < statuses.length) {
    const status = statuses[i]!;
    let run = 1;
    while (i + run < statuses.length && statuses[i + run] === status && run < maxRunLength) run++;
    const oneBit = !statuses.slice(i, i + 14).includes(PacketStatus.TypeTCCPacketReceivedLargeDelta);
    if (run >= 14 || i + run === statuses.length || (!oneBit && run >= 7)) {
      chunks.push(new RunLengthChunk({ packetStatus: status, runLength: run }));
      i += run;
      continue;
    }
    const symbolList = statuses.slice(i, i + (oneBit ? 14 : 7));
    chunks.push(
      new StatusVectorChunk({
        type: PacketChunk.TypeTCCStatusVectorChunk,
        symbolSize: oneBit ? 0 : 1,
        symbolList,
      }),
    );
    i += symbolList.length;
  }
  return chunks;
}

/** One packet a feedback reports on: its 16-bit transport-wide sequence number, and when it arrived. */
export interface TwccReport {
  seq: number;
  /** Arrival on the receiver's clock in µs (reference time plus deltas); undefined when it was lost. */
  atUs: number | undefined;
}

/**
 * The inverse of {@link encodeTwccFeedback}: what a subscriber's feedback says about each packet, in
 * sequence order. werift parses the chunks and deltas but its own `packetResults` skips status vectors,
 * so the statuses are walked here; symbols past the packet status count (a vector's padding) are ignored.
 */
export function decodeTwccFeedback(feedback: TransportWideCC): TwccReport[] {
  const reports: TwccReport[] = [];
  const count = feedback.packetStatusCount;
  let atUs = feedback.referenceTime * referenceUnitUs;
  let delta = 0;
  const add = (status: number) => {
    if (reports.length >= count) return;
    const seq = (feedback.baseSequenceNumber + reports.length) & 0xffff;
    if (status === PacketStatus.TypeTCCPacketNotReceived) {
      reports.push({ seq, atUs: undefined });
      return;
    }
    const received = feedback.recvDeltas[delta++];
    if (!received) return; // truncated feedback: report no further
    atUs += received.delta;
    reports.push({ seq, atUs });
  };
  for (const chunk of feedback.packetChunks) {
    if (chunk instanceof RunLengthChunk) {
      for (let i = 0; i < chunk.runLength && reports.length < count; i++) add(chunk.packetStatus);
    } else {
      for (const symbol of chunk.symbolList) add(symbol);
    }
  }
  return reports;
}

const absSendTimeWrapUs = (2 ** 24 * 1e6) / 2 ** 18; // 64 s
/** Longer than the event-loop stalls a busy 2-core host shows (up to ~400 ms seen while it encodes 4K). */
const lowerEnvelopeUs = 1_000_000;

/** When the event loop read a packet, and the sender's abs-send-time on it (if it has the extension). */
export interface Reading {
  nowUs: number;
  absSendTime: number | undefined;
}

/**
 * Estimates when packets reached the host rather than when the event loop got to them. JavaScript sees
 * packets in bursts (a busy loop delays some by hundreds of ms), which a send-side estimator would read
 * as congestion and cut its estimate for. With the sender's abs-send-time, a packet's arrival is its send
 * time plus the lowest one-way offset seen over the last second and in its own feedback batch: a packet
 * read late in a burst is stamped by the one read promptly at the burst's end, so the burst keeps its send
 * spacing (stamped as read, a burst at the connection's start — its bandwidth probe — all arrived at once,
 * which the browser rejects as a probe, and stays at its start rate). Loop stalls shorter than a second
 * are filtered out; queueing that persists (real congestion) still raises the offset, with the same slope
 * a second later, and is reported. (A 150 ms window let a 380 ms stall through: it emptied the window.)
 */
export class ArrivalClock {
  private lastSendUs: number | undefined;
  private sendEpochUs = 0;
  /** A monotonic deque: offsets increase front to back, so the front is the window's minimum. */
  private window: Array<{ atUs: number; offsetUs: number }> = [];
  private head = 0;

  /** The arrival times (µs) of one feedback batch of readings, in the order read. */
  stamp(readings: readonly Reading[]): number[] {
    if (readings.length === 0) return [];
    const sends = readings.map((r) => (r.absSendTime === undefined ? undefined : this.sendUs(r.absSendTime)));
    this.prune(readings[0]!.nowUs);
    let lowest = this.window.length > this.head ? this.window[this.head]!.offsetUs : Number.POSITIVE_INFINITY;
    readings.forEach((r, i) => {
      const sendUs = sends[i];
      if (sendUs !== undefined) lowest = Math.min(lowest, r.nowUs - sendUs);
    });
    const arrivals = readings.map((r, i) => {
      const sendUs = sends[i];
      return Math.round(sendUs === undefined ? r.nowUs : Math.min(r.nowUs, sendUs + lowest));
    });
    readings.forEach((r, i) => {
      const sendUs = sends[i];
      if (sendUs !== undefined) this.push(r.nowUs, r.nowUs - sendUs);
    });
    return arrivals;
  }

  /** abs-send-time (6.18 fixed-point seconds, 24 bits) as µs on a line that does not wrap. */
  private sendUs(absSendTime: number): number {
    let sendUs = (absSendTime * 1e6) / 2 ** 18 + this.sendEpochUs;
    if (this.lastSendUs !== undefined && sendUs < this.lastSendUs - absSendTimeWrapUs / 2) {
      this.sendEpochUs += absSendTimeWrapUs;
      sendUs += absSendTimeWrapUs;
    }
    this.lastSendUs = Math.max(this.lastSendUs ?? sendUs, sendUs);
    return sendUs;
  }

  private push(atUs: number, offsetUs: number): void {
    while (this.window.length > this.head && this.window[this.window.length - 1]!.offsetUs >= offsetUs)
      this.window.pop();
    this.window.push({ atUs, offsetUs });
    this.prune(atUs);
  }

  private prune(nowUs: number): void {
    while (this.window.length > this.head && nowUs - this.window[this.head]!.atUs > lowerEnvelopeUs)
      this.head++;
    if (this.head > 1024) {
      this.window = this.window.slice(this.head);
      this.head = 0;
    }
  }
}
