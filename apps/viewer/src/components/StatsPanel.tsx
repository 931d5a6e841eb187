import type { RemoteVideoTrack } from 'livekit-client';
import { useEffect, useState } from 'react';
import type { SwitchTiming } from './Stage';

interface Sample {
  width: number;
  height: number;
  fps: number;
  kbps: number;
  lost: number;
  jitterMs: number;
}

interface Props {
  track: RemoteVideoTrack | undefined;
  lastSwitch: SwitchTiming | undefined;
  lastZoomMs: number | undefined;
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)} ms`);

/** What the stage really receives, from the browser's inbound-rtp stats, once a second. */
export function StatsPanel({ track, lastSwitch, lastZoomMs }: Props) {
  const [sample, setSample] = useState<Sample>();
  useEffect(() => {
    if (!track) return;
    let previous: { bytes: number; at: number } | undefined;
    const timer = setInterval(async () => {
      const report = await track.getRTCStatsReport();
      report?.forEach((r) => {
        if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
        const bytes = r.bytesReceived ?? 0;
        const kbps = previous ? ((bytes - previous.bytes) * 8) / (r.timestamp - previous.at) : 0;
        previous = { bytes, at: r.timestamp };
        setSample({
          width: r.frameWidth ?? 0,
          height: r.frameHeight ?? 0,
          fps: r.framesPerSecond ?? 0,
          kbps,
          lost: r.packetsLost ?? 0,
          jitterMs: (r.jitter ?? 0) * 1000,
        });
      });
    }, 1000);
    return () => clearInterval(timer);
  }, [track]);

  const layer = sample?.height ? `${sample.height}p` : '–';
  return (
    <aside className="stats" data-testid="stats">
      <dl>
        <dt>Resolution</dt>
        <dd data-stat="resolution">{sample ? `${sample.width}×${sample.height}` : '–'}</dd>
        <dt>Layer</dt>
        <dd>{layer}</dd>
        <dt>Frame rate</dt>
        <dd>{sample ? `${sample.fps.toFixed(0)} fps` : '–'}</dd>
        <dt>Bitrate</dt>
        <dd data-stat="bitrate">{sample ? `${(sample.kbps / 1000).toFixed(2)} Mbps` : '–'}</dd>
        <dt>Packets lost</dt>
        <dd>{sample?.lost ?? '–'}</dd>
        <dt>Jitter</dt>
        <dd>{sample ? `${sample.jitterMs.toFixed(1)} ms` : '–'}</dd>
        <dt>Last switch</dt>
        <dd data-stat="switch">
          {ms(lastSwitch?.firstFrameMs)} first frame · {ms(lastSwitch?.sharpFrameMs)} sharp
        </dd>
        <dt>Last zoom</dt>
        <dd data-stat="zoom">{ms(lastZoomMs)} to full resolution</dd>
      </dl>
    </aside>
  );
}
