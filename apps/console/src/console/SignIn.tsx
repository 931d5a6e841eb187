import { type Session, schemas } from '@scenecast/contract';
import { type FormEvent, useState } from 'react';
import { api, messageOf } from '../api';

/** The brand key is sent once, to get a session cookie; the page never stores it. */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn(session: Session): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = schemas.signIn.safeParse({ key });
    if (!parsed.success) return setError(parsed.error.issues[0]?.message);
    setBusy(true);
    try {
      onSignedIn(await api.signIn(parsed.data.key));
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={submit} noValidate>
        <h1>
          scenecast <span>console</span>
        </h1>
        <p className="muted">Set up your show's cameras and trace, and watch every feed live.</p>
        {notice && <p className="notice">{notice}</p>}
        <label htmlFor="brand-key">Brand key</label>
        <input
          id="brand-key"
          name="key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={!!error}
          aria-describedby={error ? 'brand-key-error' : undefined}
        />
        {error && (
          <p id="brand-key-error" className="field-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
