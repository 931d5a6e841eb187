import { type FeedStatus, type PublishLink, type Scene, type Show, schemas } from '@scenecast/contract';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorsOf, type FieldErrors, fieldErrors } from '../api';
import type { ConsoleContext } from './ConsoleApp';
import { FieldError } from './fields';
import type { FeedMonitor } from './monitor';
import { QrCode } from './QrCode';
import { WhipSettings } from './WhipSettings';

interface Props {
  show: Show;
  context: ConsoleContext;
  onChanged(): Promise<void>;
  monitor?: FeedMonitor;
}

/** The show's scenes in their order, each with its feeds; add, rename, reorder, remove. */
export function Scenes({ show, context, onChanged, monitor }: Props) {
  const scenes = [...show.scenes].sort((a, b) => a.order - b.order);
  const run = (action: () => Promise<unknown>) => action().then(onChanged, context.fail);
  // Moving swaps two neighbours' order numbers.
  const move = (index: number, by: -1 | 1) => {
    const a = scenes[index]!;
    const b = scenes[index + by]!;
    const [orderA, orderB] = a.order === b.order ? [index + by, index] : [b.order, a.order];
    return run(async () => {
      await context.client.updateScene(show.id, a.id, { order: orderA });
      await context.client.updateScene(show.id, b.id, { order: orderB });
    });
  };
  return (
    <section className="panel" aria-labelledby="scenes-heading">
      <h2 id="scenes-heading">Scenes and camera feeds</h2>
      <ol className="scenes">
        {scenes.map((scene, index) => (
          <SceneItem
            key={scene.id}
            scene={scene}
            {...{ show, context, onChanged, monitor }}
            first={index === 0}
            last={index === scenes.length - 1}
            onMove={(by) => move(index, by)}
          />
        ))}
      </ol>
      <AddScene {...{ show, context, onChanged }} />
    </section>
  );
}

function SceneItem({
  scene,
  show,
  context,
  onChanged,
  monitor,
  first,
  last,
  onMove,
}: Props & { scene: Scene; first: boolean; last: boolean; onMove(by: -1 | 1): void }) {
  const [label, setLabel] = useState(scene.label);
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const { client, fail } = context;

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = schemas.updateScene.safeParse({ label });
    if (!parsed.success) return setError(parsed.error.issues[0]?.message);
    try {
      await client.updateScene(show.id, scene.id, { label });
      setError(undefined);
      await onChanged();
    } catch (e) {
      setError(Object.values(errorsOf(e))[0]);
    }
  };
  const addFeed = (sourceKind: 'browser' | 'whip') =>
    client
      .addFeed(show.id, {
        sceneId: scene.id,
        label: `${scene.label} ${sourceKind === 'whip' ? 'encoder' : 'camera'} ${scene.feeds.length + 1}`,
        sourceKind,
      })
      .then(onChanged, fail);

  return (
    <li className="scene" data-testid="scene" data-scene={scene.id}>
      <div className="scene-head">
        <span className={`kind kind-${scene.kind}`}>{scene.kind}</span>
        <form className="inline" onSubmit={rename} noValidate>
          <label className="visually-hidden" htmlFor={`scene-${scene.id}-label`}>
            Scene name
          </label>
          <input id={`scene-${scene.id}-label`} value={label} onChange={(e) => setLabel(e.target.value)} />
          <button type="submit" className="secondary" disabled={label === scene.label}>
            Rename
          </button>
        </form>
        <span className="scene-actions">
          <button
            type="button"
            className="icon"
            disabled={first}
            onClick={() => onMove(-1)}
            aria-label={`Move ${scene.label} up`}
          >
            ↑
          </button>
          <button
            type="button"
            className="icon"
            disabled={last}
            onClick={() => onMove(1)}
            aria-label={`Move ${scene.label} down`}
          >
            ↓
          </button>
          {confirming ? (
            <>
              <button
                type="button"
                className="danger"
                onClick={() => client.deleteScene(show.id, scene.id).then(onChanged, fail)}
              >
                Remove with its feeds
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="secondary danger" onClick={() => setConfirming(true)}>
              Remove
            </button>
          )}
        </span>
      </div>
      {error && <p className="field-error">{error}</p>}
      <ul className="feeds">
        {scene.feeds.map((feed) => (
          <FeedRow key={feed.id} {...{ feed, scene, context, onChanged, monitor }} />
        ))}
      </ul>
      <button type="button" className="secondary small" onClick={() => addFeed('browser')}>
        Add a camera feed
      </button>{' '}
      <button type="button" className="secondary small" onClick={() => addFeed('whip')}>
        Add an OBS / encoder feed
      </button>
    </li>
  );
}

const since = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : 'never');

/** One camera feed: live or not, at what quality, and a link (with QR code) a phone opens to publish it. */
function FeedRow({
  feed,
  scene,
  context,
  onChanged,
  monitor,
}: {
  feed: FeedStatus;
  scene: Scene;
  context: ConsoleContext;
  onChanged(): Promise<void>;
  monitor?: FeedMonitor;
}) {
  const [link, setLink] = useState<PublishLink>();
  const q = feed.quality;
  const received = feed.live ? monitor?.stats(feed.id) : undefined;
  const makeLink = () => context.client.publishLink(feed.id).then(setLink, context.fail);
  return (
    <li
      className="feed"
      data-testid="feed"
      data-scene={scene.id}
      data-feed={feed.id}
      data-live={String(feed.live)}
    >
      <div className="feed-head">
        <span className={`badge ${feed.live ? 'live' : 'offline'}`}>{feed.live ? 'Live' : 'Offline'}</span>
        <strong>{feed.label}</strong>
        <span className="muted">{feed.sourceKind}</span>
        <span className="quality" data-testid="feed-quality">
          {feed.live && q
            ? `${q.width}×${q.height} · ${q.layers} ${q.layers === 1 ? 'layer' : 'layers'} · ${q.mimeType.replace(/^video\//, '')}`
            : `last seen ${since(feed.lastSeenAt)}`}
        </span>
      </div>
      {feed.live && (
        <div className="received">
          <Thumbnail monitor={monitor} feedId={feed.id} label={feed.label} />
          <span className="muted" data-testid="feed-received">
            {received
              ? `received ${received.width}×${received.height} (lowest layer) · ${received.fps} fps · ${Math.round(
                  received.bitrate / 1000,
                )} kbps · ${(received.loss * 100).toFixed(1)}% loss`
              : 'measuring…'}
          </span>
        </div>
      )}
      {feed.sourceKind === 'whip' && <WhipSettings {...{ feed, context, onChanged }} />}
      <div className="feed-actions">
        <button type="button" className="small" onClick={makeLink}>
          {link ? 'New publish link' : 'Publish from a device'}
        </button>
        <button
          type="button"
          className="secondary small"
          onClick={() =>
            context.client.rotateFeedKey(feed.id).then(() => {
              setLink(undefined);
              return onChanged();
            }, context.fail)
          }
        >
          Rotate key and disconnect
        </button>
        <button
          type="button"
          className="secondary small danger"
          onClick={() => context.client.deleteFeed(feed.id).then(onChanged, context.fail)}
        >
          Remove feed
        </button>
      </div>
      {link && (
        <div className="publish-link">
          <QrCode text={link.url} label={`QR code to publish ${feed.label} from a phone`} />
          <div>
            <p>Scan with the phone that films this scene, or open the link on it:</p>
            <a data-testid="publish-link" href={link.url} target="_blank" rel="noreferrer">
              {link.url.replace(/#.*/, '#…')}
            </a>
            <p className="muted">
              Works until {new Date(link.expiresAt).toLocaleTimeString()}, for this feed only.
            </p>
          </div>
        </div>
      )}
    </li>
  );
}

/** The feed as the console receives it: its lowest layer, live. */
function Thumbnail({ monitor, feedId, label }: { monitor?: FeedMonitor; feedId: string; label: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const track = monitor?.track(feedId);
  useEffect(() => {
    const element = video.current;
    if (!track || !element) return;
    track.attach(element);
    return () => {
      track.detach(element);
    };
  }, [track]);
  return <video ref={video} className="thumbnail" muted playsInline autoPlay aria-label={`${label}, live`} />;
}

function AddScene({ show, context, onChanged }: Props) {
  const [kind, setKind] = useState<Scene['kind']>('custom');
  const [label, setLabel] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const add = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = schemas.sceneInput.safeParse({ kind, label });
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    try {
      const scene = await context.client.addScene(show.id, { kind, label });
      await context.client.addFeed(show.id, {
        sceneId: scene.id,
        label: `${scene.label} camera`,
        sourceKind: 'browser',
      });
      setLabel('');
      setErrors({});
      await onChanged();
    } catch (error) {
      setErrors(errorsOf(error));
    }
  };
  return (
    <form className="form inline add-scene" onSubmit={add} noValidate>
      <label htmlFor="new-scene-kind">Kind</label>
      <select id="new-scene-kind" value={kind} onChange={(e) => setKind(e.target.value as Scene['kind'])}>
        {schemas.sceneKind.options.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <label htmlFor="new-scene-label">Name</label>
      <input id="new-scene-label" value={label} onChange={(e) => setLabel(e.target.value)} />
      <button type="submit">Add scene</button>
      <FieldError id="new-scene-label" errors={errors} path="label" />
      <FieldError id="new-scene" errors={errors} path="" />
    </form>
  );
}
