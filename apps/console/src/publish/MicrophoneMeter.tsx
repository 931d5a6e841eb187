import { useEffect, useRef } from 'react';
import { MicrophoneLevel } from './level';

/** The host's microphone level as a bar (updated outside React: it moves every frame). */
export function MicrophoneMeter({ track }: { track: MediaStreamTrack }) {
  const meter = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const level = new MicrophoneLevel(track, (value) => {
      const el = meter.current;
      if (!el) return;
      const percent = Math.round(value * 100);
      el.style.setProperty('--level', `${percent}%`);
      el.setAttribute('aria-valuenow', String(percent));
    });
    return () => level.close();
  }, [track]);
  return (
    <div
      ref={meter}
      className="mic-meter"
      role="meter"
      aria-label="Microphone level"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={0}
      data-testid="mic-level"
    />
  );
}
