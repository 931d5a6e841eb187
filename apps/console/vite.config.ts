import { securityHeaders } from '@scenecast/viewer/csp';
import react from '@vitejs/plugin-react';
import { defineConfig, type PreviewServer, type ViteDevServer } from 'vite';

// The console calls the token service under /v1 through the dev and preview servers' proxy: one origin,
// so the session cookie is first-party and SameSite=Strict holds, and no CORS.
const tokenService = process.env.TOKEN_SERVICE_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/v1': { target: tokenService, changeOrigin: true } };

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
  preview: { proxy, headers: securityHeaders({ livekitUrl }) },
  build: { sourcemap: true },
});
