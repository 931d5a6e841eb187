import { useSyncExternalStore } from 'react';
import type { ShowAudio } from '../live/show-audio';

interface Props {
  audio: ShowAudio;
  /** Unlocks sound; must run inside the tap's handler (browsers allow sound only after a gesture). */
  onStart(): Promise<void>;
}

/**
 * "Tap for sound" until the browser lets the page play audio, then mute and volume (M toggles mute),
 * and a dot while the engine reports the host speaking.
 */
export function AudioControls({ audio, onStart }: Props) {
  const state = useSyncExternalStore(
    (listener) => audio.subscribe(listener),
    () => audio.state(),
  );
  if (!state.canPlay) {
    return (
      <div className="audio-controls">
        <button
          type="button"
          className="tap-for-sound"
          data-testid="tap-for-sound"
          onClick={() => void onStart().catch(() => undefined)}
        >
          Tap for sound
        </button>
      </div>
    );
  }
  return (
    <div className="audio-controls">
      <button
        type="button"
        data-testid="mute"
        aria-pressed={state.muted}
        aria-keyshortcuts="M"
        onClick={() => audio.setMuted(!state.muted)}
      >
        {state.muted ? 'Unmute' : 'Mute'}
      </button>
      <input
        type="range"
        data-testid="volume"
        aria-label="Volume"
        min={0}
        max={100}
        step={5}
        value={Math.round(state.volume * 100)}
        onChange={(e) => audio.setVolume(Number(e.target.value) / 100)}
      />
      <span
        className={`host-speaking${state.hostSpeaking ? ' on' : ''}`}
        data-testid="host-speaking"
        role="status"
        aria-label={state.hostSpeaking ? 'Host speaking' : 'Host quiet'}
        title="Host speaking"
      >
        ● Host
      </span>
    </div>
  );
}
