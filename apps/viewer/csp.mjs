#!/usr/bin/env node
// The Content-Security-Policy of scenecast's web apps (the viewer and the console): the one source of
// truth for every server that serves them — the viewer's vite preview (`npm start`) and the production web
// server config (infra/), which prints it with `node apps/viewer/csp.mjs <LiveKit URL>`.
// Plain JavaScript, so a web server's build stage can run it with Node and nothing else (types: csp.d.mts).
import { pathToFileURL } from 'node:url';

/**
 * Where the page may connect for one LiveKit URL: its WebSocket origin (signalling) and its HTTP origin
 * (livekit-client's /rtc/validate after a failed join). LiveKit Cloud also hands out region URLs on
 * other subdomains of its domain, found through /settings/regions.
 * @param {string} livekitUrl
 * @returns {string[]}
 */
function livekitSources(livekitUrl) {
  const url = new URL(livekitUrl);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const [ws, http] = secure ? ['wss:', 'https:'] : ['ws:', 'http:'];
  const cloud = /(\.livekit\.cloud|\.livekit\.run)$/.exec(url.hostname)?.[1];
  const hosts = cloud ? [url.host, `*${cloud}`] : [url.host];
  return hosts.flatMap((host) => [`${ws}//${host}`, `${http}//${host}`]);
}

/**
 * The policy: scripts, styles and everything else from the page's own origin only — no inline script or
 * style, no eval, no plugins, no frames of us anywhere (`frame-ancestors 'none'`) — and connections only
 * to the page's origin (the token service under /v1) and the LiveKit engine.
 * @param {{ livekitUrl: string, connect?: string[] }} options `connect`: further origins the page may
 *   call (a token service on another origin)
 * @returns {string} the header value
 */
export function contentSecurityPolicy({ livekitUrl, connect = [] }) {
  const directives = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    // data: for the inline favicon; camera pictures arrive as media streams, not URLs.
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...livekitSources(livekitUrl), ...connect],
    'manifest-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
    'object-src': ["'none'"],
    // DOM sinks (innerHTML, script.src, eval) refuse plain strings: a DOM XSS has nowhere to land.
    'require-trusted-types-for': ["'script'"],
    'trusted-types': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/**
 * Every security header the web apps are served with: the policy, no MIME sniffing, no referrer (an
 * evidence link opened from a show tells the other site nothing).
 * @param {{ livekitUrl: string, connect?: string[] }} options
 * @returns {Record<string, string>}
 */
export function securityHeaders(options) {
  return {
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

// `node apps/viewer/csp.mjs [LiveKit URL] [extra connect origins…]` prints the header value.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [livekitUrl = process.env.LIVEKIT_URL, ...connect] = process.argv.slice(2);
  if (!livekitUrl) {
    console.error(
      'usage: node csp.mjs <LiveKit URL, e.g. wss://livekit.example.com> [other origins to connect to…]',
    );
    process.exit(2);
  }
  console.log(contentSecurityPolicy({ livekitUrl, connect }));
}
