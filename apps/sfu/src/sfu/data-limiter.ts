// The data packets (chat, RPC, text and byte streams) a participant may have the server relay: everyone's
// packets are fanned out to the whole room, so one participant sending thousands a second would cost every
// other participant (and the server) that much. LiveKit's grants can only allow or forbid data, not limit it.
import { ParticipantInfo_Kind } from '@livekit/protocol';
import { metrics } from '../telemetry.js';

/** How much data each participant may send; the server drops the excess and ends persistent abuse. */
export interface DataLimits {
  /** Packets a second, sustained; a chat message over text streams is 3 (header, chunk, trailer). */
  packetsPerSecond: number;
  /** Packets at once, above the sustained rate. */
  burstPackets: number;
  /** Bytes a second, sustained. */
  bytesPerSecond: number;
  /** Bytes at once; at least one packet of the largest size the server accepts (64 KiB). */
  burstBytes: number;
  /** A participant whose dropped packets reach this many within `abuseWindowMs` is disconnected. */
  abuseDrops: number;
  abuseWindowMs: number;
}

/**
 * Room for what viewers and hosts do (a chat message a second is 3 packets a second; reactions, RPC), ten
 * times under what a script sends; abuse is a sender that has 200 packets dropped within 10 s — a
 * client that keeps sending after its first drops, not one that burst once.
 */
export const defaultDataLimits: DataLimits = {
  packetsPerSecond: 20,
  burstPackets: 60,
  bytesPerSecond: 64 * 1024,
  burstBytes: 256 * 1024,
  abuseDrops: 200,
  abuseWindowMs: 10_000,
};

interface SenderState {
  packets: number;
  bytes: number;
  refilledAt: number;
  drops: number;
  windowStart: number;
}

/** Who sends: agents (server participants such as the chat moderator) relay for everyone. */
export interface DataSender {
  kind: ParticipantInfo_Kind;
}

/**
 * Two token buckets per sender (packets and bytes), refilled continuously; a packet either fits both or
 * is dropped (counted in `livekit_data_packet_dropped_total`), and a sender reaching `abuseDrops` within
 * the abuse window is handed to `disconnect`, once. Agents are not limited: their `kind` only the API
 * secret can mint. Hand-written: a bucket is four lines, and this runs for every data packet the
 * server reads.
 */
export class DataLimiter<S extends DataSender> {
  // Keyed by the sender object, so a participant's state goes when the participant does.
  private readonly senders = new WeakMap<S, SenderState>();

  constructor(
    readonly limits: DataLimits,
    private readonly disconnect: (sender: S) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether to relay this packet of `bytes` from `sender`. */
  admit(sender: S, bytes: number): boolean {
    if (sender.kind === ParticipantInfo_Kind.AGENT) return true;
    const now = this.now();
    const { limits } = this;
    let s = this.senders.get(sender);
    if (!s) {
      s = {
        packets: limits.burstPackets,
        bytes: limits.burstBytes,
        refilledAt: now,
        drops: 0,
        windowStart: now,
      };
      this.senders.set(sender, s);
    }
    const seconds = (now - s.refilledAt) / 1000;
    s.refilledAt = now;
    s.packets = Math.min(limits.burstPackets, s.packets + seconds * limits.packetsPerSecond);
    s.bytes = Math.min(limits.burstBytes, s.bytes + seconds * limits.bytesPerSecond);
    if (s.packets >= 1 && s.bytes >= bytes) {
      s.packets -= 1;
      s.bytes -= bytes;
      return true;
    }
    metrics.dataDropped.inc({ reason: 'rate' });
    if (now - s.windowStart > limits.abuseWindowMs) {
      s.windowStart = now;
      s.drops = 0;
    }
    s.drops += 1;
    if (s.drops === limits.abuseDrops) {
      metrics.dataAbuseDisconnects.inc();
      this.disconnect(sender);
    }
    return false;
  }
}
