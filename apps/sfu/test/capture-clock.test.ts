// The publisher's capture clock, kept from its sender reports (sfu/sender-report), and the reports a werift
// sender then sends: pure logic, checked here; sender-reports.test.ts checks it end to end.
import { describe, expect, it } from 'vitest';
import { RTCRtpSender } from 'werift';
import { CaptureClock, reportCaptureClock } from '../src/sfu/sender-report.js';

describe('CaptureClock', () => {
  it('knows nothing before a sender report, then runs on at the stream’s clock rate, across the wrap', () => {
    const clock = new CaptureClock(90_000);
    expect(clock.rtpTimeAt(1000)).toBeUndefined();
    clock.senderReport(2 ** 32 - 45_000, 1000);
    expect(clock.rtpTimeAt(1000)).toBe(2 ** 32 - 45_000);
    expect(clock.rtpTimeAt(1250)).toBe(2 ** 32 - 22_500);
    expect(clock.rtpTimeAt(2000)).toBe(45_000);
    // A later report replaces the earlier one (the publisher's clock drifts from ours).
    clock.senderReport(7, 3000);
    expect(clock.rtpTimeAt(3000)).toBe(7);
  });
});

describe('reportCaptureClock', () => {
  const fields = (sender: RTCRtpSender) =>
    sender as unknown as { ntpTimestamp: bigint; rtpTimestamp: number };

  it('reports werift’s own pair until the capture clock is known, then the capture clock’s', () => {
    const sender = new RTCRtpSender('audio');
    let known: number | undefined;
    reportCaptureClock(sender, () => known);
    // werift writes its pair for every packet it sends.
    fields(sender).ntpTimestamp = 123n << 32n;
    fields(sender).rtpTimestamp = 4242;
    expect(fields(sender).rtpTimestamp).toBe(4242);
    expect(fields(sender).ntpTimestamp).toBe(123n << 32n);
    known = 99;
    const later = performance.now() + 10;
    while (performance.now() < later); // past the snapshot's few ms
    expect(fields(sender).rtpTimestamp).toBe(99);
    // Our wall clock now, in NTP (seconds since 1900 in the top half).
    const seconds = Number(fields(sender).ntpTimestamp >> 32n);
    expect(Math.abs(seconds - (Date.now() - Date.UTC(1900, 0, 1)) / 1000)).toBeLessThan(2);
  });

  it('fails loudly on a werift whose sender keeps no such pair', () => {
    expect(() => reportCaptureClock({} as RTCRtpSender, () => 0)).toThrow(/werift changed/);
  });
});
