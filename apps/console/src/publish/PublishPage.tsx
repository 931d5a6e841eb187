import { ApiError, type PublishGrant } from '@scenecast/contract';
import { useEffect, useRef, useState } from 'react';
import { api, messageOf } from '../api';
import { MicrophoneMeter } from './MicrophoneMeter';
import { Publisher, type PublishState, type SentLayer } from './publisher';

/** Why the page cannot publish: the link's problem (expired, revoked) or the camera's. */
interface Failure {
  title: string;
  detail: string;
}

function linkFailure(error: unknown): Failure {
  if (error instanceof ApiError && error.status === 410)
    return { title: 'This publish link has expired', detail: 'Ask the show team for a new link or QR code.' };
  if (error instanceof ApiError && error.status === 404)
    return {
      title: 'This publish link is not valid',
      detail: 'It was revoked, its camera feed removed, or it was copied incompletely. Ask for a new one.',
    };
  return { title: 'Could not open this publish link', detail: messageOf(error) };
}

const stateText: Record<PublishState, string> = {
  preview: 'Ready',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped',
  revoked: 'Revoked',
  failed: 'Failed',
};

/** The phone's page: a publish link's code (after `#`) opens one feed's camera, no sign-in. */
export function PublishPage() {
  const video = useRef<HTMLVideoElement>(null);
  const [grant, setGrant] = useState<PublishGrant>();
  const [failure, setFailure] = useState<Failure>();
  const [publisher, setPublisher] = useState<Publisher>();
  const [state, setState] = useState<PublishState>('preview');
  const [paused, setPaused] = useState(false);
  const [micMuted, setMicMuted] = useState(false);
  /** The camera is open: publishing may start. */
  const [ready, setReady] = useState(false);
  const [sent, setSent] = useState<SentLayer[]>([]);

  useEffect(() => {
    const code = decodeURIComponent(location.hash.slice(1));
    if (!code) {
      setFailure({ title: 'No publish link', detail: 'Open the link or scan the QR code from the console.' });
      return;
    }
    api.publishToken(code).then(setGrant, (error: unknown) => setFailure(linkFailure(error)));
  }, []);

  useEffect(() => {
    if (!grant || !video.current) return;
    const p = new Publisher(grant, (s) => {
      setState(s);
      if (s === 'revoked')
        setFailure({
          title: 'Publishing was revoked',
          detail:
            'The show team disconnected this camera and rotated its key: this link no longer works. Ask them for a new one.',
        });
    });
    setPublisher(p);
    p.preview(video.current).then(
      () => setReady(true),
      (error: unknown) =>
        setFailure({
          title: 'The camera did not open',
          detail: `${messageOf(error)}. Allow camera access and reload.`,
        }),
    );
    return () => p.close();
  }, [grant]);

  useEffect(() => {
    if (!publisher || state !== 'live') return;
    const timer = setInterval(() => void publisher.sent().then(setSent, () => undefined), 1000);
    return () => clearInterval(timer);
  }, [publisher, state]);

  if (failure)
    return (
      <main className="publish publish-error" data-testid="publish-error">
        <h1>{failure.title}</h1>
        <p>{failure.detail}</p>
      </main>
    );

  const publishing = state === 'live' || state === 'reconnecting' || state === 'connecting';
  const start = () =>
    publisher?.start().catch((error: unknown) => {
      setState('failed');
      setFailure({ title: 'Could not start publishing', detail: messageOf(error) });
    });
  const stop = () => publisher?.stop().then(() => setState('stopped'));
  const top = sent[0];
  return (
    <main className="publish" data-state={state}>
      <header>
        <p className="muted">{grant?.feed.showTitle ?? 'Opening the link…'}</p>
        <h1>{grant?.feed.label}</h1>
        <span className={`badge ${state === 'live' ? 'live' : 'offline'}`} data-testid="publish-state">
          {stateText[state]}
        </span>
      </header>
      <video ref={video} className="preview" muted playsInline autoPlay aria-label="Camera preview" />
      <p className="sent" data-testid="sent">
        {top
          ? `Sending ${top.width}×${top.height} at ${top.fps} fps · ${Math.round(
              sent.reduce((sum, l) => sum + l.targetBitrate, 0) / 1000,
            )} kbps · ${sent.length} of ${publisher?.layerCount} layers${
              sent.length < (publisher?.layerCount ?? 0) ? ' (the rest pause while nobody watches them)' : ''
            }${top.limitedBy !== 'none' ? ` · limited by ${top.limitedBy}` : ''}`
          : publisher?.capture
            ? `Camera ${publisher.capture.width}×${publisher.capture.height}`
            : ' '}
      </p>
      <div className="controls">
        {publishing ? (
          <button type="button" className="danger big" onClick={stop}>
            Stop
          </button>
        ) : (
          <button
            type="button"
            className="big"
            data-testid="start-publishing"
            disabled={!ready}
            onClick={start}
          >
            Start publishing
          </button>
        )}
        <button
          type="button"
          className="secondary"
          onClick={() => video.current && publisher?.flip(video.current)}
        >
          Switch camera
        </button>
        <button
          type="button"
          className="secondary"
          aria-pressed={paused}
          onClick={() => publisher?.setPaused(!paused).then(() => setPaused(!paused))}
        >
          {paused ? 'Resume video' : 'Pause video'}
        </button>
        {ready && publisher?.microphone && (
          <div className="microphone">
            <button
              type="button"
              className="secondary"
              aria-pressed={micMuted}
              data-testid="mute-microphone"
              onClick={() => publisher.setMicrophoneMuted(!micMuted).then(() => setMicMuted(!micMuted))}
            >
              {micMuted ? 'Unmute microphone' : 'Mute microphone'}
            </button>
            <MicrophoneMeter track={publisher.microphone.mediaStreamTrack} />
          </div>
        )}
      </div>
    </main>
  );
}
