import { type Show, schemas } from '@scenecast/contract';
import { type FormEvent, useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { errorsOf, type FieldErrors, fieldErrors } from '../api';
import type { ConsoleContext } from './ConsoleApp';
import { FieldError } from './fields';
import { FeedMonitor } from './monitor';
import { QrCode } from './QrCode';
import { navigate } from './router';
import { Scenes } from './Scenes';
import { TraceEditor } from './TraceEditor';

/** How often feed status is refreshed: the issue asks for at least every 2 s. */
const refreshMs = 2000;

/** Where the viewer app is, as the console's server says (/console.json). */
function useViewerUrl() {
  const [viewerUrl, setViewerUrl] = useState<string>();
  useEffect(() => {
    fetch('/console.json')
      .then((r) => r.json() as Promise<{ viewerUrl: string }>)
      .then((s) => setViewerUrl(s.viewerUrl.replace(/\/+$/, '')))
      .catch(() => setViewerUrl(`${location.protocol}//${location.hostname}:5173`));
  }, []);
  return viewerUrl;
}

/** The console's hidden subscriber in the show's room, re-rendering on every measurement. */
function useMonitor(showId: string, context: ConsoleContext): FeedMonitor | undefined {
  const [monitor, setMonitor] = useState<FeedMonitor>();
  useEffect(() => {
    const m = new FeedMonitor();
    setMonitor(m);
    // Without it the console still shows what the engine reports; a failure to watch is not fatal.
    m.connect(() => context.client.monitorToken(showId)).catch(() => undefined);
    return () => m.close();
  }, [showId, context.client]);
  const subscribe = useCallback(
    (listener: () => void) => monitor?.subscribe(listener) ?? (() => undefined),
    [monitor],
  );
  useSyncExternalStore(subscribe, () => monitor?.version ?? 0);
  return monitor;
}

/** One show: its details, scenes with their feeds' live status, the trace, the viewer link. */
export function ShowEditor({ showId, context }: { showId: string; context: ConsoleContext }) {
  const { client, fail } = context;
  // undefined: loading; null: no such show of this brand.
  const [show, setShow] = useState<Show | null>();
  const viewerUrl = useViewerUrl();
  const monitor = useMonitor(showId, context);

  const refresh = useCallback(async () => {
    try {
      const { shows } = await client.listShows();
      setShow(shows.find((s) => s.id === showId) ?? null);
    } catch (error) {
      fail(error);
    }
  }, [client, fail, showId]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), refreshMs);
    return () => clearInterval(timer);
  }, [refresh]);

  if (show === undefined) return <p className="muted">Loading…</p>;
  if (show === null)
    return (
      <section className="panel">
        <h1>Show not found</h1>
        <p>
          There is no show "{showId}" for your brand. <a href="/">Back to your shows</a>
        </p>
      </section>
    );
  const viewerLink = viewerUrl && `${viewerUrl}/show/${encodeURIComponent(show.id)}`;
  return (
    <div className="show-editor">
      <Details show={show} context={context} onChanged={refresh} />
      {viewerLink && (
        <section className="panel viewer-link" aria-label="Viewer link">
          <div>
            <h2>Viewer link</h2>
            <p>
              <a href={viewerLink} data-testid="viewer-link" target="_blank" rel="noreferrer">
                {viewerLink}
              </a>
            </p>
            <a className="button" href={viewerLink} target="_blank" rel="noreferrer">
              Open as a viewer
            </a>
          </div>
          <QrCode text={viewerLink} label={`QR code of the viewer link of ${show.title}`} />
        </section>
      )}
      <Scenes show={show} context={context} onChanged={refresh} monitor={monitor} />
      <TraceEditor show={show} context={context} onChanged={refresh} viewerLink={viewerLink} />
    </div>
  );
}

function Details({
  show,
  context,
  onChanged,
}: {
  show: Show;
  context: ConsoleContext;
  onChanged(): Promise<void>;
}) {
  const [title, setTitle] = useState(show.title);
  const [product, setProduct] = useState(show.product);
  const [status, setStatus] = useState(show.status);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = schemas.updateShow.safeParse({ title, product, status });
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    try {
      await context.client.updateShow(show.id, { title, product, status });
      setErrors({});
      setSaved(true);
      await onChanged();
    } catch (error) {
      setErrors(errorsOf(error));
    }
  };
  const remove = async () => {
    try {
      await context.client.deleteShow(show.id);
      navigate('/');
    } catch (error) {
      context.fail(error);
    }
  };

  return (
    <section className="panel">
      <h1>{show.title}</h1>
      <form className="form details" onSubmit={save} noValidate onChange={() => setSaved(false)}>
        <div>
          <label htmlFor="show-title">Title</label>
          <input id="show-title" value={title} onChange={(e) => setTitle(e.target.value)} />
          <FieldError id="show-title" errors={errors} path="title" />
        </div>
        <div>
          <label htmlFor="show-product">Product</label>
          <input id="show-product" value={product} onChange={(e) => setProduct(e.target.value)} />
          <FieldError id="show-product" errors={errors} path="product" />
        </div>
        <div>
          <label htmlFor="show-status">Status</label>
          <select
            id="show-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as Show['status'])}
          >
            {schemas.showStatus.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit">Save</button>
          {saved && <span className="muted">Saved</span>}
          <FieldError id="show" errors={errors} path="" />
          {confirming ? (
            <fieldset className="confirm">
              <legend className="visually-hidden">Confirm deletion</legend>
              Delete this show, its scenes, feeds and trace?
              <button type="button" className="danger" onClick={remove}>
                Delete for good
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </fieldset>
          ) : (
            <button type="button" className="danger secondary" onClick={() => setConfirming(true)}>
              Delete show
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
