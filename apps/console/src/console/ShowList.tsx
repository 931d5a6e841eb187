import { type SceneKind, type Show, schemas } from '@scenecast/contract';
import { type FormEvent, useEffect, useState } from 'react';
import { errorsOf, type FieldErrors, fieldErrors } from '../api';
import type { ConsoleContext } from './ConsoleApp';
import { FieldError } from './fields';
import { navigate } from './router';

const sceneLabels: Record<Exclude<SceneKind, 'custom'>, string> = {
  studio: 'Studio',
  factory: 'Factory',
  farm: 'Farm',
};

/** The brand's shows, and a new one: its scenes, each with a phone camera feed ready to publish. */
export function ShowList({ context }: { context: ConsoleContext }) {
  const { client, fail } = context;
  const [shows, setShows] = useState<Show[]>();
  const [title, setTitle] = useState('');
  const [product, setProduct] = useState('');
  const [kinds, setKinds] = useState<Set<string>>(new Set(Object.keys(sceneLabels)));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    client.listShows().then((list) => setShows(list.shows), fail);
  }, [client, fail]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      title,
      product,
      scenes: Object.entries(sceneLabels)
        .filter(([kind]) => kinds.has(kind))
        .map(([kind, label]) => ({ kind: kind as SceneKind, id: kind, label })),
    };
    const parsed = schemas.createShow.safeParse(body);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setBusy(true);
    setErrors({});
    try {
      const show = await client.createShow(body);
      for (const scene of show.scenes)
        await client.addFeed(show.id, {
          sceneId: scene.id,
          label: `${scene.label} camera`,
          sourceKind: 'browser',
        });
      navigate(`/shows/${encodeURIComponent(show.id)}`);
    } catch (error) {
      setErrors(errorsOf(error));
      setBusy(false);
    }
  };

  return (
    <div className="show-list">
      <section className="panel">
        <h1>Your shows</h1>
        {!shows ? (
          <p className="muted">Loading…</p>
        ) : shows.length === 0 ? (
          <p className="muted">No shows yet: create the first one.</p>
        ) : (
          <ul className="shows">
            {shows.map((show) => {
              const feeds = show.scenes.flatMap((s) => s.feeds);
              return (
                <li key={show.id} data-testid="show" data-show={show.id}>
                  <a
                    href={`/shows/${encodeURIComponent(show.id)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/shows/${encodeURIComponent(show.id)}`);
                    }}
                  >
                    <strong>{show.title}</strong>
                    <span className="muted">{show.product}</span>
                  </a>
                  <span className={`status status-${show.status}`}>{show.status}</span>
                  <span className="muted">
                    {show.scenes.length} scenes · {feeds.filter((f) => f.live).length}/{feeds.length} feeds
                    live
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="panel">
        <h2>New show</h2>
        <form className="form" onSubmit={create} noValidate>
          <label htmlFor="new-title">Title</label>
          <input id="new-title" value={title} onChange={(e) => setTitle(e.target.value)} />
          <FieldError id="new-title" errors={errors} path="title" />
          <label htmlFor="new-product">Product</label>
          <input id="new-product" value={product} onChange={(e) => setProduct(e.target.value)} />
          <FieldError id="new-product" errors={errors} path="product" />
          <fieldset>
            <legend>Scenes (each gets a phone camera feed)</legend>
            {Object.entries(sceneLabels).map(([kind, label]) => (
              <label key={kind} className="check">
                <input
                  type="checkbox"
                  name="scene"
                  value={kind}
                  checked={kinds.has(kind)}
                  onChange={(e) => {
                    const next = new Set(kinds);
                    if (e.target.checked) next.add(kind);
                    else next.delete(kind);
                    setKinds(next);
                  }}
                />
                {label}
              </label>
            ))}
          </fieldset>
          <FieldError id="new-scenes" errors={errors} path="scenes" />
          <FieldError id="new-show" errors={errors} path="" />
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create show'}
          </button>
        </form>
      </section>
    </div>
  );
}
