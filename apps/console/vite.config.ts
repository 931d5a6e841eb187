import { readFileSync } from 'node:fs';
import { securityHeaders } from '@scenecast/viewer/csp';
import react from '@vitejs/plugin-react';
import { defineConfig, type PreviewServer, type ViteDevServer } from 'vite';

// The console calls the token service under /v1 through the dev and preview servers' proxy: one origin,
// so the session cookie is first-party and SameSite=Strict holds, and no CORS.
const tokenService = process.env.TOKEN_SERVICE_URL ?? 'http://127.0.0.1:8080';
// `npm start -- --https` (apps/demo): TLS with the demo's certificate, and the engine's signalling (/rtc, a
// WebSocket) proxied on this origin too — an https page may open only wss:, and a phone that accepted this
// origin's certificate warning trusts nothing else.
const engineProxy = process.env.ENGINE_PROXY_URL;
// xfwd: the token service learns the request came over TLS (X-Forwarded-Proto), so the session cookie is Secure.
const proxy = {
  '/v1': { target: tokenService, changeOrigin: true, xfwd: true },
  ...(engineProxy && { '/rtc': { target: engineProxy.replace(/^ws/, 'http'), ws: true } }),
};
const https = process.env.TLS_CERT_FILE
  ? { cert: readFileSync(process.env.TLS_CERT_FILE), key: readFileSync(process.env.TLS_KEY_FILE ?? '') }
  : undefined;

/** Where the viewer app is (for each show's viewer link), told to the page at /console.json. */
const consoleSettings = {
  name: 'console-settings',
  configureServer: serveSettings,
  configurePreviewServer: serveSettings,
};
function serveSettings(server: ViteDevServer | PreviewServer) {
  server.middlewares.use('/console.json', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify({ viewerUrl: process.env.VIEWER_URL ?? 'http://127.0.0.1:5173' }));
  });
}

// The preview server (`npm start`) serves the built console under the web apps' one policy: the console's
// monitor and the publish page connect to the engine, so LIVEKIT_URL names it.
const livekitUrl = process.env.LIVEKIT_URL ?? 'ws://127.0.0.1:7880';

export default defineConfig({
  plugins: [react(), consoleSettings],
  server: { proxy },
  preview: { proxy, https, headers: securityHeaders({ livekitUrl }) },
  build: { sourcemap: true },
});
