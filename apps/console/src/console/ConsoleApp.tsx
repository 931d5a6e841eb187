import { ApiError, type ScenecastClient, type Session } from '@scenecast/contract';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, messageOf } from '../api';
import { navigate, usePath } from './router';
import { ShowEditor } from './ShowEditor';
import { ShowList } from './ShowList';
import { SignIn } from './SignIn';

/** What every page of the signed-in console gets: the API in this session, and where to report a failure. */
export interface ConsoleContext {
  client: ScenecastClient;
  /** A failed call: an ended session signs out, anything else is shown. */
  fail(error: unknown): void;
}

export function ConsoleApp() {
  // undefined: still asking whether the cookie names a session; null: signed out.
  const [session, setSession] = useState<Session | null>();
  const [notice, setNotice] = useState<string>();
  const path = usePath();

  useEffect(() => {
    api.getSession().then(setSession, (error: unknown) => {
      setSession(null);
      if (!(error instanceof ApiError && error.status === 401)) setNotice(messageOf(error));
    });
  }, []);

  const fail = useCallback((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) {
      setSession(null);
      setNotice('Your session has ended. Sign in again.');
    } else setNotice(messageOf(error));
  }, []);
  const context = useMemo<ConsoleContext | undefined>(
    () => (session ? { client: api.withCsrf(session.csrfToken), fail } : undefined),
    [session, fail],
  );

  if (session === undefined) return <main className="console loading">Loading…</main>;
  if (!session || !context)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined);
          setSession(s);
        }}
      />
    );

  const showId = /^\/shows\/([^/]+)\/?$/.exec(path)?.[1];
  const signOut = async () => {
    await context.client.signOut().catch(() => undefined);
    setSession(null);
    navigate('/');
  };
  return (
    <div className="console">
      <header className="topbar">
        <a
          className="brand-mark"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          scenecast <span>console</span>
        </a>
        <div className="who">
          <span data-testid="brand-name">{session.brand.name}</span>
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {notice && (
        <div className="notice" role="alert">
          {notice}
          <button type="button" className="link" onClick={() => setNotice(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      <main>
        {showId ? (
          <ShowEditor key={showId} showId={decodeURIComponent(showId)} context={context} />
        ) : (
          <ShowList context={context} />
        )}
      </main>
    </div>
  );
}
