// First: before the contract's schemas are built.
import '@scenecast/contract/jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

// One route: /show/:id (the demo show is /show/demo).
const match = /^\/show\/([^/]+)\/?$/.exec(location.pathname);
const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    {match ? (
      <App showId={decodeURIComponent(match[1]!)} />
    ) : (
      <main className="error-page">
        <h1>scenecast</h1>
        <p>
          Open a show link, e.g. <a href="/show/demo">/show/demo</a>.
        </p>
      </main>
    )}
  </StrictMode>,
);
