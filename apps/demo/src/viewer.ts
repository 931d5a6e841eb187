import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * How to serve the built viewer app (`vite preview`) on host:port: the demo, the end-to-end tests and the
 * benchmarks all run it this way. It proxies `/v1` to the token service named by TOKEN_SERVICE_URL.
 */
export function viewerPreviewArgs(host: string, port: number): string[] {
  return [
    join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'),
    'preview',
    dirname(require.resolve('@scenecast/viewer/package.json')),
    '--host',
    host,
    '--port',
    String(port),
    '--strictPort',
  ];
}
