import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The viewer calls the token service under /v1; the dev and preview servers proxy it, so the browser
// sees one origin (no CORS) and production can put both behind one host the same way.
const tokenService = process.env.TOKEN_SERVICE_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/v1': { target: tokenService, changeOrigin: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: { sourcemap: true },
});
