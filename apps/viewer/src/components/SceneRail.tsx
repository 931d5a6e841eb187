import type { PublicScene } from '@scenecast/contract';
import type { RemoteVideoTrack } from 'livekit-client';
import { useEffect, useRef } from 'react';

function Thumbnail({ track }: { track: RemoteVideoTrack | undefined }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video || !track) return;
    track.attach(video);
    return () => {
      track.detach(video);
    };
  }, [track]);
  return <video ref={ref} className="thumb-video" autoPlay muted playsInline tabIndex={-1} />;
}

interface Props {
  scenes: PublicScene[];
  tracks: Map<string, RemoteVideoTrack | undefined>;
  selected: string | undefined;
  onSelect(sceneId: string): void;
}

/** A live thumbnail of every scene; click, tap or press its number to put it on the stage. */
export function SceneRail({ scenes, tracks, selected, onSelect }: Props) {
  return (
    <nav className="scene-rail" aria-label="Scenes">
      {scenes.map((scene, index) => {
        const live = tracks.has(scene.id);
        return (
          <button
            key={scene.id}
            type="button"
            data-scene={scene.id}
            className={`scene ${scene.id === selected ? 'selected' : ''}`}
            aria-pressed={scene.id === selected}
            aria-keyshortcuts={index < 9 ? String(index + 1) : undefined}
            onClick={() => onSelect(scene.id)}
          >
            <Thumbnail track={tracks.get(scene.id)} />
            <span className="scene-label">
              <kbd>{index + 1}</kbd> {scene.label}
            </span>
            <span className={`badge ${live ? 'live' : 'offline'}`}>{live ? 'LIVE' : 'offline'}</span>
          </button>
        );
      })}
    </nav>
  );
}
