import { useEffect, useRef } from 'react';
import { MicrophoneLevel } from './level';

/** The host's microphone level (updated outside React: it moves every frame). */
export function MicrophoneMeter({ track }: { track: MediaStreamTrack }) {
  const meter = useRef<HTMLMeterElement>(null);
  useEffect(() => {
    const level = new MicrophoneLevel(track, (value) => {
      if (meter.current) meter.current.value = Math.round(value * 100);
    });
    return () => level.close();
  }, [track]);
  return (
    <meter
      ref={meter}
      className="mic-meter"
      aria-label="Microphone level"
      min={0}
      max={100}
      defaultValue={0}
      data-testid="mic-level"
    />
  );
}
