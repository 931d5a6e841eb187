// Transport-wide congestion control feedback, byte for byte against packets computed by hand from
// draft-holmer-rmcat-transport-wide-cc-extensions-01: chunks, deltas, reference time, feedback count;
// and read back, as the SFU reads what subscribers' browsers send.

import { describe, expect, it } from 'vitest';
import { PacketStatus, RtcpHeader, RtcpTransportLayerFeedback, type TransportWideCC } from 'werift';
import {
  ArrivalClock,
  decodeTwccFeedback,
  packStatusChunks,
  TwccFeedback,
} from '../src/sfu/twcc-responder.js';

const { TypeTCCPacketNotReceived: lost, TypeTCCPacketReceivedSmallDelta: small } = PacketStatus;
const large = PacketStatus.TypeTCCPacketReceivedLargeDelta;

const hex = (bytes: Uint8Array) =>
  Buffer.from(bytes)
    .toString('hex')
    .replace(/(.{8})/g, '$1 ')
    .trim();
const bytes = (feedback: TransportWideCC) => hex(new RtcpTransportLayerFeedback({ feedback }).serialize());
const repeat = <T>(value: T, times: number): T[] => Array.from({ length: times }, () => value);

const senderSsrc = 0x0102_0304;
const mediaSsrc = 0x0a0b_0c0d;
// V=2, P (padding), FMT=15 | PT=205 | length in 32-bit words minus one; then the two SSRCs.
const head = (words: number, padded = true) =>
  `${padded ? 'af' : '8f'}cd00${words.toString(16).padStart(2, '0')} 01020304 0a0b0c0d`;

describe('packStatusChunks', () => {
  // Run length: 0|SS|run(13). Status vector: 1|0|14 one-bit symbols, or 1|1|7 two-bit symbols.
  it.each<[string, PacketStatus[], string]>([
    ['one run', [small, small, small], '2003'],
    [
      'a run of 14 or more, then a one-bit vector of the mixed rest',
      [...repeat(small, 20), lost, small, small, small],
      '2014 9c00',
    ],
    [
      'a one-bit vector: received and lost, small deltas',
      [small, lost, small, small, lost, small, lost, lost, lost, small],
      'ad10',
    ],
    ['a two-bit vector when a large delta is among them', [small, lost, large, large], 'd280'],
    ['the longest run, then the rest as a run', repeat(lost, 8191 + 9), '1fff 0009'],
    ['a run of 7 where a two-bit vector would be needed', [...repeat(large, 7), small, lost], '4007 a000'],
    [
      'a full one-bit vector of 14, then a run of the last one',
      [...repeat([small, lost], 7).flat(), small],
      'aaaa 2001',
    ],
    [
      'a full two-bit vector of 7, then the rest',
      [small, large, small, large, small, large, small, large],
      'd999 4001',
    ],
  ])('%s', (_name, statuses, expected) => {
    const chunks = packStatusChunks(statuses);
    expect(chunks.map((c) => c.serialize().toString('hex')).join(' ')).toBe(expected);
  });
});

describe('TwccFeedback', () => {
  it('reports nothing before a packet arrives', () => {
    expect(new TwccFeedback(senderSsrc).take()).toBeUndefined();
  });

  it('encodes arrivals as hand-computed feedback packets, one after another', () => {
    const twcc = new TwccFeedback(senderSsrc);
    // Reference time 10 (640 ms); deltas 1 ms, 1 ms, 0.5 ms = 4, 4, 2 units of 250 µs.
    twcc.record(100, 641_000, mediaSsrc);
    twcc.record(102, 642_500, mediaSsrc); // recorded out of order: reported in sequence
    twcc.record(101, 642_000, mediaSsrc);
    expect(bytes(twcc.take()!)).toBe(
      // base 100, count 3 | reference 10, feedback 0 | run of 3 small | deltas | 3 bytes of padding
      `${head(6)} 00640003 00000a00 20030404 02000003`,
    );
    // The next one starts where that stopped (103), though 103 and 105 are lost. Deltas from 640 ms:
    // +60 ms (240, small), +100 ms (400, large), -1 ms (-4, large): a two-bit vector.
    twcc.record(104, 700_000, mediaSsrc);
    twcc.record(106, 800_000, mediaSsrc);
    twcc.record(107, 799_000, mediaSsrc);
    twcc.record(102, 900_000, mediaSsrc); // already reported: ignored
    expect(bytes(twcc.take()!)).toBe(`${head(6)} 00670005 00000a01 c4a0f001 90fffc01`);
    expect(twcc.take()).toBeUndefined();
  });

  it('encodes losses among small deltas as a one-bit status vector', () => {
    const twcc = new TwccFeedback(senderSsrc);
    // Reference time 3 (192 ms); 200, 202, 203, 205, 209 received 0, 1, 1, 2, 3 units apart.
    for (const [seq, atUs] of [
      [200, 192_000],
      [202, 192_250],
      [203, 192_500],
      [205, 193_000],
      [209, 193_750],
    ] as const)
      twcc.record(seq, atUs, mediaSsrc);
    expect(bytes(twcc.take()!)).toBe(`${head(6)} 00c8000a 00000300 ad100001 01020301`);
  });

  it('carries the quantisation rounding forward instead of letting it add up', () => {
    const twcc = new TwccFeedback(senderSsrc);
    // 100 µs apart: 0.4 units each. Rounded one by one that would be 0 units every time.
    for (let i = 0; i < 5; i++) twcc.record(i, 64_000 + i * 100, mediaSsrc);
    const feedback = twcc.take()!;
    expect(feedback.recvDeltas.map((d) => d.delta / 250)).toEqual([0, 0, 1, 0, 1]);
  });

  it('follows the 16-bit sequence number across its wrap and counts feedback modulo 256', () => {
    const twcc = new TwccFeedback(senderSsrc);
    for (let i = 0; i < 256; i++) {
      twcc.record((0xff00 + i) & 0xffff, 64_000 + i, mediaSsrc);
      expect(twcc.take()!.fbPktCount).toBe(i);
    }
    twcc.record(65_535, 128_000, mediaSsrc); // already reported: ignored
    twcc.record(0, 128_000, mediaSsrc);
    twcc.record(2, 128_250, mediaSsrc);
    // base 0 (after 65535), count 3 | reference 2, feedback count 256 = 0 | one-bit vector 1,0,1 | deltas
    // 0, 1 | no padding: on a 32-bit boundary already, so no padding bit either
    expect(bytes(twcc.take()!)).toBe(`${head(5, false)} 00000003 00000200 a8000001`);
  });
});

describe('decodeTwccFeedback', () => {
  /** Serialise, take the padding off as a receiver does (RFC 3550 6.4.1, as libwebrtc), parse, decode. */
  const roundTrip = (feedback: TransportWideCC) => {
    const wire = new RtcpTransportLayerFeedback({ feedback }).serialize();
    const header = RtcpHeader.deSerialize(wire);
    expect(wire.length).toBe((header.length + 1) * 4);
    let payload = wire.subarray(4);
    if (header.padding) {
      const pad = wire[wire.length - 1]!;
      if (pad === 0 || pad > payload.length)
        throw new Error(`${pad} bytes of padding in a ${payload.length}`);
      payload = payload.subarray(0, payload.length - pad);
    }
    const parsed = RtcpTransportLayerFeedback.deSerialize(payload, header);
    return decodeTwccFeedback(parsed.feedback as TransportWideCC);
  };

  it('reads back every arrival of a feedback of any length, with or without padding', () => {
    // 1 to 12 packets 1 ms apart, a small delta each: every remainder of the length modulo 4.
    for (let n = 1; n <= 12; n++) {
      const twcc = new TwccFeedback(senderSsrc);
      for (let i = 0; i < n; i++) twcc.record(i, 64_000 + i * 1000, mediaSsrc);
      expect(roundTrip(twcc.take()!).map((r) => r.atUs)).toEqual(
        Array.from({ length: n }, (_, i) => 64_000 + i * 1000),
      );
    }
  });

  it('reads back arrivals and losses through run-length and one-bit and two-bit vectors', () => {
    const twcc = new TwccFeedback(senderSsrc);
    const arrivals: Array<[number, number]> = [
      [100, 641_000],
      [101, 642_000],
      [103, 700_000], // 102 lost
      [104, 800_000], // a large delta
      [105, 799_000], // a negative one
      [109, 799_250], // 106-108 lost
    ];
    for (const [seq, atUs] of arrivals) twcc.record(seq, atUs, mediaSsrc);
    const reports = roundTrip(twcc.take()!);
    expect(reports.map((r) => r.seq)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    const at = new Map(arrivals);
    for (const report of reports) expect(report.atUs).toBe(at.get(report.seq));
  });

  it('reads a long run and ignores the padding symbols of a last vector', () => {
    const twcc = new TwccFeedback(senderSsrc);
    for (let i = 0; i < 40; i++) twcc.record(65_530 + i, 64_000 + i * 250, mediaSsrc); // wraps
    twcc.record((65_530 + 42) & 0xffff, 64_000 + 42 * 250, mediaSsrc);
    const reports = roundTrip(twcc.take()!);
    expect(reports).toHaveLength(43);
    expect(reports[0]).toEqual({ seq: 65_530, atUs: 64_000 });
    expect(reports[6]!.seq).toBe(0);
    expect(reports.filter((r) => r.atUs === undefined).map((r) => r.seq)).toEqual([34, 35]);
  });
});

describe('arrival clock (event-loop stalls filtered, queueing kept)', () => {
  /** abs-send-time (6.18 fixed-point seconds, 24 bits) of a send time in µs. */
  const absSendTime = (us: number) => Math.round((us / 1e6) * 2 ** 18) % 2 ** 24;
  const packetEveryUs = 2_000;

  /**
   * Stamps packets as TwccResponder does: read at `readUs`, stamped in a batch at each 50 ms feedback
   * (a feedback falls due when the loop is free again). Returns each packet's reported one-way delay.
   */
  function delays(packets: Array<{ sendUs: number; readUs: number }>): number[] {
    const clock = new ArrivalClock();
    const out: number[] = [];
    let batch: typeof packets = [];
    const flush = () => {
      const arrivals = clock.stamp(
        batch.map((p) => ({ nowUs: p.readUs, absSendTime: absSendTime(p.sendUs) })),
      );
      batch.forEach((p, i) => {
        out.push(arrivals[i]! - p.sendUs);
      });
      batch = [];
    };
    for (const packet of packets) {
      if (batch.length > 0 && Math.floor(packet.readUs / 50_000) > Math.floor(batch[0]!.readUs / 50_000))
        flush();
      batch.push(packet);
    }
    flush();
    return out;
  }

  const sent = (untilUs: number, readAt: (sendUs: number) => number) =>
    Array.from({ length: untilUs / packetEveryUs }, (_, i) => ({
      sendUs: i * packetEveryUs,
      readUs: readAt(i * packetEveryUs),
    }));

  it('reads a 400 ms stall of the event loop as no delay: the burst keeps its send spacing', () => {
    // From 2.0 s to 2.4 s the loop is stalled: everything sent then is read at 2.4 s.
    const stalled = (sendUs: number) =>
      (sendUs >= 2_000_000 && sendUs < 2_400_000 ? 2_400_000 : sendUs) + 5_000;
    const reported = delays(sent(3_000_000, stalled));
    expect(Math.max(...reported) - Math.min(...reported)).toBeLessThanOrEqual(10);
  });

  it('spaces a burst read at once at the very start (a bandwidth probe) by its send times', () => {
    // The first 30 packets (60 ms of sending) reach a loop busy setting up the connection.
    const reported = delays(sent(200_000, (sendUs) => Math.max(60_000, sendUs) + 5_000));
    expect(Math.max(...reported) - Math.min(...reported)).toBeLessThanOrEqual(10);
  });

  it('reports queueing that persists: a delay growing 50 ms a second grows as fast, a second late', () => {
    const queued = (sendUs: number) => 5_000 + Math.max(0, sendUs - 2_000_000) * 0.05;
    const reported = delays(sent(6_000_000, (sendUs) => sendUs + queued(sendUs)));
    const at = (s: number) => reported[(s * 1_000_000) / packetEveryUs]!;
    for (const s of [3, 4, 5]) expect(Math.abs(at(s) - queued((s - 1) * 1_000_000))).toBeLessThan(3_000);
    expect(at(5) - at(4)).toBeGreaterThan(45_000);
  });

  it('follows abs-send-time across its 64 s wrap', () => {
    const wrapUs = (2 ** 24 * 1e6) / 2 ** 18;
    const clock = new ArrivalClock();
    for (let sendUs = wrapUs - 100_000; sendUs < wrapUs + 100_000; sendUs += packetEveryUs) {
      const [arrival] = clock.stamp([{ nowUs: sendUs + 5_000, absSendTime: absSendTime(sendUs) }]);
      expect(Math.abs(arrival! - (sendUs + 5_000))).toBeLessThan(10);
    }
  });

  it('without abs-send-time, is the time the loop read the packet', () => {
    expect(new ArrivalClock().stamp([{ nowUs: 1_234_567.4, absSendTime: undefined }])).toEqual([1_234_567]);
  });
});
