import { honouringRetryAfter, type PublicShow, ScenecastClient } from '@scenecast/contract';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { AudioControls } from './components/AudioControls';
import { Chat } from './components/Chat';
import { SceneRail } from './components/SceneRail';
import { Stage, type SwitchTiming } from './components/Stage';
import { StatsPanel } from './components/StatsPanel';
import { TracePanel } from './components/TracePanel';
import { type ConnectionStatus, ShowRoom } from './live/show-room';

declare global {
  interface Window {
    /**
     * Read by tests and the benchmark: every switch (numbered from 1) and zoom latency the stage measured,
     * and the connection as the viewer sees it (its status, and the SFU's grade of it).
     */
    scenecast?: {
      switches: SwitchTiming[];
      zooms: number[];
      selected?: string;
      connection?: ConnectionStatus;
      quality?: string;
      /** The analyser just before the speakers: what the viewer hears (tests read the pilot tones). */
      audioOutput?: AnalyserNode;
    };
  }
}

/**
 * The token service, on this page's origin (the dev and preview servers proxy /v1 to it). The id names
 * this tab to the viewer-token rate limit, so viewers sharing a carrier's address are counted apart.
 * 32 hex digits from getRandomValues: crypto.randomUUID exists only in secure contexts, and a viewer
 * served over plain http on a LAN address (`DEMO_HOST=10.77.0.1 npm start`) stopped before rendering.
 */
const api = new ScenecastClient({
  clientId: Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join(''),
});

function useShowRoom(showRoom: ShowRoom) {
  const version = useSyncExternalStore(
    (listener) => showRoom.subscribe(listener),
    () =>
      `${showRoom.status}:${showRoom.quality}:${[...showRoom.feeds().values()]
        .map((f) => `${f.sceneId}=${f.track?.sid}${f.paused ? '-paused' : ''}`)
        .join(',')}`,
  );
  return useMemo(
    () => ({ status: showRoom.status, quality: showRoom.quality, feeds: showRoom.feeds(), version }),
    [showRoom, version],
  );
}

export function App({ showId }: { showId: string }) {
  const [show, setShow] = useState<PublicShow>();
  const [error, setError] = useState<string>();
  const showRoom = useMemo(() => new ShowRoom(), []);
  const { status, quality, feeds } = useShowRoom(showRoom);
  const [selected, setSelected] = useState<string>();
  const [switchTiming, setSwitchTiming] = useState<SwitchTiming>();
  const switchCount = useRef(0);
  const [lastSwitch, setLastSwitch] = useState<SwitchTiming>();
  const [lastZoom, setLastZoom] = useState<number>();
  const [statsOpen, setStatsOpen] = useState(false);

  useEffect(() => {
    let cancelled = false;
    window.scenecast = { switches: [], zooms: [], audioOutput: showRoom.audio.output };
    (async () => {
      try {
        const loaded = await api.getShow(showId);
        if (cancelled) return;
        setShow(loaded);
        const first = [...loaded.scenes].sort((a, b) => a.order - b.order)[0];
        setSelected((current) => current ?? first?.id);
        if (!cancelled) await showRoom.connect(() => honouringRetryAfter(() => api.viewerToken(showId)));
      } catch (e) {
        if (!cancelled) setError((e as Error).message);
      }
    })();
    return () => {
      cancelled = true;
      void showRoom.disconnect();
    };
  }, [showId, showRoom]);

  const scenes = useMemo(() => [...(show?.scenes ?? [])].sort((a, b) => a.order - b.order), [show]);

  useEffect(() => {
    if (!window.scenecast) return;
    window.scenecast.connection = status;
    window.scenecast.quality = quality;
  }, [status, quality]);

  // The host speaks from the studio scenes; their voice plays whatever the stage shows.
  useEffect(() => {
    showRoom.audio.setVoices(scenes.filter((s) => s.kind === 'studio').map((s) => s.id));
  }, [showRoom, scenes]);
  useEffect(() => showRoom.audio.setStage(selected), [showRoom, selected]);

  const select = useCallback(
    (sceneId: string) => {
      if (sceneId === selected) return;
      switchCount.current += 1;
      const timing: SwitchTiming = { switch: switchCount.current, sceneId, startedAt: performance.now() };
      window.scenecast?.switches.push(timing);
      setSwitchTiming(timing);
      setSelected(sceneId);
      if (window.scenecast) window.scenecast.selected = sceneId;
    },
    [selected],
  );

  // Keys 1–9 switch scenes; M mutes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === 'm' || e.key === 'M') {
        const audio = showRoom.audio;
        if (audio.state().canPlay) audio.setMuted(!audio.state().muted);
        return;
      }
      const index = Number(e.key) - 1;
      const scene = scenes[index];
      if (index >= 0 && index < 9 && scene) select(scene.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [scenes, select, showRoom]);

  const onNeed = useCallback(
    (width: number, height: number) => showRoom.setStage({ sceneId: selected, width, height }),
    [showRoom, selected],
  );

  // The stage fills in the switch's timing at its first frame and again when sharp.
  const onSwitchTiming = useCallback((timing: SwitchTiming) => setLastSwitch({ ...timing }), []);

  const onZoomTiming = useCallback((ms: number) => {
    setLastZoom(ms);
    window.scenecast?.zooms.push(ms);
  }, []);

  if (error) {
    return (
      <main className="error-page">
        <h1>This show can’t be opened</h1>
        <p>{error}</p>
      </main>
    );
  }
  if (!show) return <main className="loading">Loading the show…</main>;

  const tracks = new Map([...feeds.values()].map((f) => [f.sceneId, f.track]));
  const current = scenes.find((s) => s.id === selected);
  const stageFeed = selected ? feeds.get(selected) : undefined;
  const stageTrack = stageFeed?.track;

  return (
    <main className="show">
      <header>
        <div>
          <h1>{show.title}</h1>
          <p className="product">{show.product}</p>
        </div>
        <div className="header-actions">
          <AudioControls audio={showRoom.audio} onStart={() => showRoom.startAudio()} />
          {status === 'connected' && quality !== 'unknown' && (
            <span
              className={`connection-quality ${quality}`}
              data-testid="connection-quality"
              title="Your connection"
            >
              Connection: {quality}
            </span>
          )}
          <button
            type="button"
            className="stats-toggle"
            aria-pressed={statsOpen}
            onClick={() => setStatsOpen(!statsOpen)}
          >
            Stats
          </button>
        </div>
      </header>
      {status === 'reconnecting' && (
        <div className="banner" role="status">
          Connection lost — reconnecting…
        </div>
      )}
      {status === 'disconnected' && (
        <div className="banner error" role="alert">
          Disconnected.{' '}
          <button type="button" onClick={() => location.reload()}>
            Rejoin
          </button>
        </div>
      )}
      <div className="layout">
        <div className="watch">
          <Stage
            sceneId={selected}
            label={current?.label ?? ''}
            track={stageTrack}
            connection={status}
            quality={quality}
            paused={stageFeed?.paused ?? false}
            topWidth={selected ? feeds.get(selected)?.publication.dimensions?.width : undefined}
            switchTiming={switchTiming}
            onNeed={onNeed}
            onSwitchTiming={onSwitchTiming}
            onZoomTiming={onZoomTiming}
          />
          <SceneRail scenes={scenes} tracks={tracks} selected={selected} onSelect={select} />
          {statsOpen && <StatsPanel track={stageTrack} lastSwitch={lastSwitch} lastZoomMs={lastZoom} />}
        </div>
        <div className="side">
          <TracePanel
            trace={show.trace}
            scenes={scenes}
            liveScenes={new Set(tracks.keys())}
            onWatch={select}
          />
          <Chat room={showRoom.room} />
        </div>
      </div>
    </main>
  );
}
