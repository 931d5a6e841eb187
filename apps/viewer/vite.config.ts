import { readFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { securityHeaders } from './csp.mjs';

// The viewer calls the token service under /v1; the dev and preview servers proxy it, so the browser
// sees one origin (no CORS) and production can put both behind one host the same way.
const tokenService = process.env.TOKEN_SERVICE_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/v1': { target: tokenService, changeOrigin: true } };
// The preview server (`npm start`) serves the built app under the same policy as production; the dev
// server cannot (its hot reload injects inline scripts).
const livekitUrl = process.env.LIVEKIT_URL ?? 'ws://127.0.0.1:7880';
// `npm start -- --https` (apps/demo): TLS with the demo's certificate (a phone's camera needs a secure page).
const https = process.env.TLS_CERT_FILE
  ? { cert: readFileSync(process.env.TLS_CERT_FILE), key: readFileSync(process.env.TLS_KEY_FILE ?? '') }
  : undefined;

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: {
    proxy,
    https,
    headers: securityHeaders({ livekitUrl }),
  },
  build: { sourcemap: true },
});
