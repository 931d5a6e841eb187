import {
  ntpTime,
  type RTCRtpSender,
  RTP_EXTENSION_URI,
  RtpHeader,
  type RtpPacket,
  serializeAbsSendTime,
  serializeSdesMid,
  serializeTransportWideCC,
  uint16Add,
} from 'werift';
import { guard } from '../guard.js';
import type { ProbePlan } from './stream-allocator.js';

/** werift keeps what sending on a sender's RTX stream needs private; these are the fields read here. */
interface SenderInternals {
  mid?: string;
  headerExtensions: Array<{ id: number; uri: string }>;
  rtxPayloadType?: number;
  rtxSequenceNumber: number;
  /** The last packets sent, by sequence number modulo its size (what werift answers NACKs from). */
  rtpCache: Array<RtpPacket | undefined>;
  sequenceNumber?: number;
}

/** werift's RTP_HISTORY_SIZE: its cache holds the last 128 packets, at sequence number modulo 128. */
const rtpHistorySize = 128;
const paddingBytes = 255;
/** How often the pacer wakes during a cluster; it sends what is due since the last wake. */
const paceMs = 5;

/**
 * Sends probe clusters on a subscriber's connection: packets on top of the media, paced at the plan's
 * rate, so the bandwidth estimate can measure whether the link carries more before the allocator steps
 * a layer up (GCC's and LiveKit's probing). They go on a video sender's RTX stream — recent packets again
 * (the browser counts them for its transport-cc feedback, then drops the duplicates), or padding when the
 * sender has sent nothing yet — so the media's own sequence numbers are never touched.
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private cursor = 0;

  /**
   * Start a cluster: `mediaBps` is what the media sends meanwhile, the padding makes up the rest of the
   * goal. `done` runs when it ends (also when no sender could carry it).
   */
  run(plan: ProbePlan, mediaBps: number, senders: () => RTCRtpSender[], done: () => void): void {
    this.stop();
    const started = performance.now();
    const paddingBps = Math.max(0, plan.goalBps - mediaBps);
    let sent = 0;
    const step = () => {
      const now = performance.now();
      const elapsed = Math.min(now - started, plan.durationMs);
      const due = (paddingBps * elapsed) / 8000 - sent;
      const sender = senders().find(canProbe);
      if (sender) for (let bytes = 0; bytes < due; ) bytes += this.send(sender);
      sent += Math.max(0, due);
      if (!sender || now - started >= plan.durationMs) {
        this.timer = undefined;
        done();
        return;
      }
      this.timer = setTimeout(guard('probe_pacer', undefined, step), paceMs);
    };
    step();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One RTX packet on `sender`'s stream; returns the bytes it carries. */
  private send(sender: RTCRtpSender): number {
    const internals = sender as unknown as SenderInternals;
    const dtls = sender.dtlsTransport;
    const original = this.recent(internals);
    const sequenceNumber = internals.rtxSequenceNumber;
    internals.rtxSequenceNumber = uint16Add(sequenceNumber, 1);
    const transportSeq = uint16Add(dtls.transportSequenceNumber, 1);
    dtls.transportSequenceNumber = transportSeq;
    const extensions: Array<{ id: number; payload: Buffer }> = [];
    for (const { id, uri } of internals.headerExtensions) {
      if (uri === RTP_EXTENSION_URI.sdesMid && internals.mid)
        extensions.push({ id, payload: serializeSdesMid(internals.mid) });
      if (uri === RTP_EXTENSION_URI.absSendTime)
        extensions.push({ id, payload: serializeAbsSendTime(ntpTime()) });
      if (uri === RTP_EXTENSION_URI.transportWideCC)
        extensions.push({ id, payload: serializeTransportWideCC(transportSeq) });
    }
    let payload: Buffer;
    if (original) {
      // RTX payload: the original sequence number, then the original payload (RFC 4588).
      payload = Buffer.alloc(2 + original.payload.length);
      payload.writeUInt16BE(original.header.sequenceNumber, 0);
      original.payload.copy(payload, 2);
    } else {
      // Padding only: SRTP encrypts what it is given, so the padding (its length in the last byte) is the payload.
      payload = Buffer.alloc(paddingBytes);
      payload[paddingBytes - 1] = paddingBytes;
    }
    const header = new RtpHeader({
      payloadType: internals.rtxPayloadType,
      sequenceNumber,
      timestamp: original?.header.timestamp ?? 0,
      ssrc: sender.rtxSsrc,
      padding: !original,
      extensions,
    });
    dtls.sendRtp(payload, header).catch(() => undefined);
    return payload.length;
  }

  /** The sender's recent packets in turn, newest first, so consecutive probe packets differ. */
  private recent(internals: SenderInternals): RtpPacket | undefined {
    const cache = internals.rtpCache;
    const last = internals.sequenceNumber;
    if (last === undefined) return undefined;
    for (let i = 0; i < 32; i++) {
      const seq = (last - (this.cursor++ % 32) + 0x10000) & 0xffff;
      const packet = cache[seq % rtpHistorySize];
      if (packet && packet.header.sequenceNumber === seq && packet.payload.length > 0) return packet;
    }
    return undefined;
  }
}

/** A connected video sender with an RTX stream negotiated. */
function canProbe(sender: RTCRtpSender): boolean {
  const internals = sender as unknown as SenderInternals;
  return (
    sender.kind === 'video' &&
    internals.rtxPayloadType !== undefined &&
    sender.dtlsTransport?.state === 'connected'
  );
}
