import type { ConnectionQuality, RemoteVideoTrack } from 'livekit-client';
import { type PointerEvent, useCallback, useEffect, useRef, useState, type WheelEvent } from 'react';
import type { ConnectionStatus } from '../live/show-room';

/**
 * One scene switch, created when the viewer asks for it (so a switch left before its first frame is there
 * too) and filled in by the stage: ms from the ask to the first frame of the new scene, and to the first
 * frame at the layer the stage needs.
 */
export interface SwitchTiming {
  /** 1 for the viewer's first switch, then counting. */
  switch: number;
  sceneId: string;
  /** When the viewer asked (performance.now()). */
  startedAt: number;
  firstFrameMs?: number;
  sharpFrameMs?: number;
}

interface Props {
  sceneId: string | undefined;
  label: string;
  track: RemoteVideoTrack | undefined;
  /** The viewer's own connection: when it is down, the cameras are not to blame. */
  connection: ConnectionStatus;
  /** The SFU's grade of the viewer's connection: below excellent, it is sending less than asked for. */
  quality: ConnectionQuality;
  /** The SFU paused the stage's video: even its lowest layer does not fit the connection now. */
  paused: boolean;
  /** Width of the feed's top layer: "sharp" means the layer the stage needs, capped by what exists. */
  topWidth: number | undefined;
  /** The switch that brought this scene, to time (undefined for the scene shown first). */
  switchTiming: SwitchTiming | undefined;
  /** The stage needs this many device pixels (its size times zoom). */
  onNeed(width: number, height: number): void;
  onSwitchTiming(timing: SwitchTiming): void;
  onZoomTiming(ms: number): void;
}

const minZoom = 1;
const maxZoom = 8;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The big picture: the selected scene, zoomable 1×–8× around the pointer (wheel, pinch, double-click,
 * buttons), draggable, with a minimap and a badge of the resolution actually received. It reports the
 * pixels it needs so the room asks for a sharper layer only when the zoom calls for it.
 */
export function Stage({
  sceneId,
  label,
  track,
  connection,
  quality,
  paused,
  topWidth,
  switchTiming,
  onNeed,
  onSwitchTiming,
  onZoomTiming,
}: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const badgeRef = useRef<HTMLSpanElement>(null);
  const [view, setView] = useState({ zoom: 1, x: 0, y: 0 });
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<{ distance: number; zoom: number } | undefined>(undefined);
  const zoomAsk = useRef<{ at: number; width: number } | undefined>(undefined);

  // Show the new scene's track at once: it is already decoding at its thumbnail layer.
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !track) return;
    track.attach(video);
    return () => {
      track.detach(video);
    };
  }, [track]);

  // Time the switch (first frame, first sharp frame) and zooms, frame by frame.
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !track || !sceneId) return;
    let stopped = false;
    // The same switch's timing even when this effect runs again for it: it is filled in once.
    const timing = switchTiming?.sceneId === sceneId ? switchTiming : undefined;
    const onFrame = (now: number, meta: VideoFrameCallbackMetadata) => {
      if (stopped) return;
      // The layer actually decoded, frame by frame: never the one asked for.
      if (badgeRef.current) badgeRef.current.textContent = `${meta.height}p · ${meta.width}×${meta.height}`;
      if (timing && timing.firstFrameMs === undefined) {
        timing.firstFrameMs = now - timing.startedAt;
        onSwitchTiming(timing);
      }
      const box = boxRef.current;
      const needed = box ? box.clientWidth * devicePixelRatio : 0;
      // Sharp = a layer close to what the unzoomed stage needs (the SFU serves one at least 60 % of the
      // stage width), capped by the feed's top layer and by 1280 (2160p is only fetched on zoom).
      const sharpWidth = Math.min(0.6 * needed, topWidth ?? 1280, 1280);
      if (timing && timing.sharpFrameMs === undefined && meta.width >= sharpWidth - 1) {
        timing.sharpFrameMs = now - timing.startedAt;
        onSwitchTiming(timing);
      }
      const ask = zoomAsk.current;
      if (ask && meta.width >= ask.width) {
        onZoomTiming(now - ask.at);
        zoomAsk.current = undefined;
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return () => {
      stopped = true;
    };
  }, [track, sceneId, topWidth, switchTiming, onSwitchTiming, onZoomTiming]);

  // Tell the room how many pixels we need; zooming past the current layer asks for a sharper one.
  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const report = () =>
      onNeed(box.clientWidth * devicePixelRatio * view.zoom, box.clientHeight * devicePixelRatio * view.zoom);
    report();
    const observer = new ResizeObserver(report);
    observer.observe(box);
    return () => observer.disconnect();
  }, [view.zoom, onNeed]);

  // Paused by the SFU: no frame comes to update the badge, so say so instead of the last frame's size.
  useEffect(() => {
    if (paused && badgeRef.current) badgeRef.current.textContent = 'paused';
  }, [paused]);

  // A new scene starts unzoomed.
  useEffect(() => {
    if (sceneId) setView({ zoom: 1, x: 0, y: 0 });
  }, [sceneId]);

  const zoomAt = useCallback((factor: number, px?: number, py?: number) => {
    const box = boxRef.current;
    if (!box) return;
    const w = box.clientWidth;
    const h = box.clientHeight;
    setView((v) => {
      const zoom = clamp(v.zoom * factor, minZoom, maxZoom);
      const cx = px ?? w / 2;
      const cy = py ?? h / 2;
      // Keep the point under the pointer where it is.
      const x = clamp(cx - ((cx - v.x) * zoom) / v.zoom, w - w * zoom, 0);
      const y = clamp(cy - ((cy - v.y) * zoom) / v.zoom, h - h * zoom, 0);
      if (zoom > v.zoom) {
        const video = videoRef.current;
        const need = w * devicePixelRatio * zoom;
        if (video && need > video.videoWidth)
          zoomAsk.current = { at: performance.now(), width: Math.min(need, 3840) };
      }
      return { zoom, x, y };
    });
  }, []);

  const local = (e: { clientX: number; clientY: number }) => {
    const rect = boxRef.current!.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };

  const onWheel = (e: WheelEvent) => {
    const p = local(e);
    zoomAt(Math.exp(-e.deltaY * 0.0015), p.x, p.y);
  };

  const onPointerDown = (e: PointerEvent) => {
    (e.target as Element).setPointerCapture?.(e.pointerId);
    pointers.current.set(e.pointerId, local(e));
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()] as [{ x: number; y: number }, { x: number; y: number }];
      pinch.current = { distance: Math.hypot(a.x - b.x, a.y - b.y), zoom: view.zoom };
    }
  };

  const onPointerMove = (e: PointerEvent) => {
    const previous = pointers.current.get(e.pointerId);
    if (!previous) return;
    const p = local(e);
    pointers.current.set(e.pointerId, p);
    const box = boxRef.current!;
    if (pointers.current.size === 2 && pinch.current) {
      const [a, b] = [...pointers.current.values()] as [{ x: number; y: number }, { x: number; y: number }];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const target = clamp((pinch.current.zoom * distance) / pinch.current.distance, minZoom, maxZoom);
      zoomAt(target / view.zoom, (a.x + b.x) / 2, (a.y + b.y) / 2);
      return;
    }
    setView((v) => ({
      zoom: v.zoom,
      x: clamp(v.x + p.x - previous.x, box.clientWidth - box.clientWidth * v.zoom, 0),
      y: clamp(v.y + p.y - previous.y, box.clientHeight - box.clientHeight * v.zoom, 0),
    }));
  };

  const onPointerUp = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    if (pointers.current.size < 2) pinch.current = undefined;
  };

  const onDoubleClick = (e: { clientX: number; clientY: number }) => {
    const p = local(e);
    zoomAt(view.zoom > 1.5 ? 1 / view.zoom : 4, p.x, p.y);
  };

  const onKeyDown = (e: { key: string; preventDefault(): void }) => {
    const step = 40;
    const pan = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] }[
      e.key
    ];
    if (e.key === '+' || e.key === '=') zoomAt(1.5);
    else if (e.key === '-') zoomAt(1 / 1.5);
    else if (pan) {
      const el = boxRef.current!;
      setView((v) => ({
        zoom: v.zoom,
        x: clamp(v.x + pan[0]!, el.clientWidth - el.clientWidth * v.zoom, 0),
        y: clamp(v.y + pan[1]!, el.clientHeight - el.clientHeight * v.zoom, 0),
      }));
    } else return;
    e.preventDefault();
  };

  const box = boxRef.current;
  const w = box?.clientWidth ?? 1;
  const h = box?.clientHeight ?? 1;

  return (
    <section className="stage" aria-label={`Live picture: ${label}`}>
      <div
        ref={boxRef}
        className="stage-box"
        role="slider"
        aria-label="Zoom: + and − keys zoom, arrow keys pan"
        aria-valuemin={minZoom}
        aria-valuemax={maxZoom}
        aria-valuenow={Number(view.zoom.toFixed(1))}
        aria-valuetext={`${view.zoom.toFixed(1)}× zoom`}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDoubleClick={onDoubleClick}
      >
        <video
          ref={videoRef}
          data-testid="stage-video"
          // Which LiveKit track it shows, for tests: the browser's track id is the SFU's track sid only
          // on /rtc (v0); on /rtc/v1 the client maps tracks by mid.
          data-track-sid={track?.sid}
          className="stage-video"
          autoPlay
          muted
          playsInline
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})` }}
        />
        {connection === 'reconnecting' || connection === 'disconnected' ? (
          <div className="placeholder" role="status" data-testid="stage-status">
            <strong>Can’t receive video — check your connection</strong>
            <span>
              {connection === 'reconnecting'
                ? 'Retrying… the picture comes back by itself.'
                : 'Reload the page to rejoin the show.'}
            </span>
          </div>
        ) : !track && connection === 'connected' ? (
          <div className="placeholder" role="status" data-testid="stage-status">
            <strong>{label || 'This scene'} is offline</strong>
            <span>The picture comes back by itself as soon as the camera reconnects.</span>
          </div>
        ) : (
          paused && (
            <div className="placeholder" role="status" data-testid="stage-status">
              <strong>Video paused: your connection is too slow for it right now</strong>
              <span>It resumes by itself as soon as there is room; sound and chat go on.</span>
            </div>
          )
        )}
        {connection === 'connected' && !paused && (quality === 'good' || quality === 'poor') && (
          <span className="quality-note" role="status" data-testid="quality-note">
            reduced quality: slow connection
          </span>
        )}
        <span className="badge resolution" data-testid="resolution-badge" ref={badgeRef}>
          –
        </span>
        {view.zoom > 1 && (
          <div className="minimap" aria-hidden="true">
            <div
              className="minimap-view"
              style={{
                left: `${(-view.x / (w * view.zoom)) * 100}%`,
                top: `${(-view.y / (h * view.zoom)) * 100}%`,
                width: `${100 / view.zoom}%`,
                height: `${100 / view.zoom}%`,
              }}
            />
          </div>
        )}
      </div>
      <div className="zoom-controls">
        <button type="button" data-testid="zoom-out" onClick={() => zoomAt(1 / 1.5)} aria-label="Zoom out">
          −
        </button>
        <span className="zoom-level" data-testid="zoom-level">
          {view.zoom.toFixed(1)}×
        </span>
        <button type="button" data-testid="zoom-in" onClick={() => zoomAt(1.5)} aria-label="Zoom in">
          +
        </button>
      </div>
    </section>
  );
}
