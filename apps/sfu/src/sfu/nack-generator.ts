import { GenericNack, type RTCDtlsTransport, RtcpTransportLayerFeedback } from 'werift';
import { guard } from '../guard.js';
import { seqAfter } from './rtp-munger.js';

const maxRetries = 8;
const maxAgeMs = 1000;
const maxTracked = 512;
const intervalMs = 20;

interface Missing {
  firstMissedAt: number;
  retries: number;
}

/**
 * Asks a publisher to resend lost packets of one RTP stream (one simulcast layer), so subscribers see
 * fewer holes than the publisher's uplink makes. werift's own generator assumes one SSRC per receiver.
 */
export class NackGenerator {
  private highest: number | undefined;
  private readonly missing = new Map<number, Missing>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: RTCDtlsTransport,
    private readonly senderSsrc: number,
    private readonly mediaSsrc: () => number | undefined,
  ) {}

  onPacket(seq: number): void {
    if (this.highest === undefined) {
      this.highest = seq;
      return;
    }
    if (this.missing.delete(seq)) return;
    if (!seqAfter(seq, this.highest)) return;
    const now = performance.now();
    for (let s = (this.highest + 1) & 0xffff; s !== seq; s = (s + 1) & 0xffff) {
      if (this.missing.size >= maxTracked) break;
      this.missing.set(s, { firstMissedAt: now, retries: 0 });
    }
    this.highest = seq;
    if (this.missing.size > 0 && !this.timer) {
      this.timer = setInterval(
        guard('nack_timer', undefined, () => this.sendNacks()),
        intervalMs,
      );
      this.timer.unref();
    }
  }

  private sendNacks(): void {
    const ssrc = this.mediaSsrc();
    const now = performance.now();
    const lost: number[] = [];
    for (const [seq, entry] of this.missing) {
      if (entry.retries >= maxRetries || now - entry.firstMissedAt > maxAgeMs) {
        this.missing.delete(seq);
        continue;
      }
      entry.retries += 1;
      lost.push(seq);
    }
    if (this.missing.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (lost.length === 0 || ssrc === undefined) return;
    const feedback = new GenericNack({ senderSsrc: this.senderSsrc, mediaSourceSsrc: ssrc, lost });
    this.transport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]).catch(() => undefined);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.missing.clear();
  }
}
