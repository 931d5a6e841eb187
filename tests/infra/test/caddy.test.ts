import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityHeaders } from '@scenecast/viewer/csp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  envExample,
  freePort,
  infra,
  readYaml,
  requirePath,
  root,
  runTool,
  skipWithout,
  startProcess,
  tool,
  waitForHttp,
} from './support.js';

const caddy = tool('caddy');
// Caddy keeps its state under XDG homes: a temp one, not the user's.
const home = mkdtempSync(join(tmpdir(), 'scenecast-caddy-'));
const caddyEnv = { XDG_DATA_HOME: home, XDG_CONFIG_HOME: home, HOME: home };
const edge = join(infra, 'compose/Caddyfile');
const web = join(infra, 'docker/web.Caddyfile');

const caddyRun = (args: string[], env: Record<string, string> = {}) =>
  runTool(requirePath(caddy), [...args, '--adapter', 'caddyfile'], { env: { ...caddyEnv, ...env } });

// biome-ignore lint/suspicious/noExplicitAny: Caddy's JSON config is deep and free-form
type Json = any;

/** host -> the upstreams its routes proxy to, from Caddy's own adaptation of the Caddyfile. */
function upstreamsByHost(config: Json): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const dials = (node: Json): string[] =>
    Array.isArray(node)
      ? node.flatMap(dials)
      : node && typeof node === 'object'
        ? [...(node.upstreams ?? []).map((u: Json) => u.dial), ...Object.values(node).flatMap(dials)]
        : [];
  for (const server of Object.values(config.apps.http.servers) as Json[])
    for (const route of server.routes)
      for (const host of route.match?.[0]?.host ?? []) result[host] = [...new Set(dials(route.handle))];
  return result;
}

describe('Caddy configs with the real caddy', skipWithout(caddy), () => {
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("the edge Caddyfile (infra/compose) passes caddy validate with .env.example's values", async () => {
    const { status, output } = await caddyRun(['validate', '--config', edge], envExample());
    expect(status, output).toBe(0);
    expect(output).toContain('Valid configuration');
  });

  it('the validation bites: a misspelt directive is refused', async () => {
    const file = join(home, 'Caddyfile');
    writeFileSync(file, readFileSync(edge, 'utf8').replace('reverse_proxy livekit', 'reverse_prox livekit'));
    const { status, output } = await caddyRun(['validate', '--config', file], envExample());
    expect(status).not.toBe(0);
    expect(output).toMatch(/unrecognized directive: reverse_prox/);
  });

  it('routes each public name to the compose service and port that serves it; only /v1 of the token service', async () => {
    const env = envExample();
    const { status, output } = await caddyRun(['adapt', '--config', edge], env);
    expect(status, output).toBe(0);
    const config = JSON.parse(output.slice(output.indexOf('{')));
    const compose = readYaml<{ services: Record<string, { environment?: Record<string, string> }> }>(
      'infra/compose/compose.yaml',
    );
    const livekit = readYaml<{ port: number }>('infra/compose/livekit.yaml');
    const webPort = /^:\{\$PORT:(\d+)\}/m.exec(readFileSync(web, 'utf8'))?.[1];
    // What each service listens on: its own config where scenecast sets it; Grafana's default otherwise.
    const listens: Record<string, string | undefined> = {
      'token-service': compose.services['token-service']?.environment?.PORT,
      livekit: String(livekit.port),
      viewer: webPort,
      console: webPort,
      grafana: '3000',
    };
    const expected = {
      [env.SCENECAST_DOMAIN as string]: ['token-service', 'viewer'],
      [env.LIVEKIT_DOMAIN as string]: ['livekit'],
      [env.CONSOLE_DOMAIN as string]: ['token-service', 'console'],
      [env.GRAFANA_DOMAIN as string]: ['grafana'],
    };
    const routes = upstreamsByHost(config);
    expect(Object.keys(routes).sort()).toEqual(Object.keys(expected).sort());
    for (const [host, services] of Object.entries(expected)) {
      expect(routes[host], host).toEqual(services.map((s) => `${s}:${listens[s]}`));
      expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(services));
    }
    // The token service's /healthz, /readyz and /metrics are not public: its routes match /v1/* only.
    const tokenRoutes = JSON.stringify(config).match(/"path":\["[^"]*"\]/g);
    expect(tokenRoutes).toEqual(['"path":["/v1/*"]', '"path":["/v1/*"]']);
  });

  describe("the web image's Caddyfile serving the built viewer (the image's contents, without the image)", () => {
    let server: ReturnType<typeof startProcess> | undefined;
    let base = '';
    afterAll(async () => server?.stop());
    // The policy file as web.Dockerfile writes it, with its very command.
    const livekitUrl = 'wss://livekit.example.com';
    const cspFile = join(home, 'csp.txt');
    const dockerfile = readFileSync(join(infra, 'docker/web.Dockerfile'), 'utf8');

    it('answers /healthz, serves client-side routes as index.html, and caches only hashed assets for good', async () => {
      const dist = join(root, 'apps/viewer/dist');
      const written = await runTool('sh', ['-c', `node apps/viewer/csp.mjs "$LIVEKIT_URL" > ${cspFile}`], {
        env: { LIVEKIT_URL: livekitUrl },
      });
      expect(written.status, written.output).toBe(0);
      const port = await freePort();
      server = startProcess(requirePath(caddy), ['run', '--config', web, '--adapter', 'caddyfile'], {
        env: { ...caddyEnv, PORT: String(port), WEB_ROOT: dist, CSP_FILE: cspFile },
      });
      base = `http://127.0.0.1:${port}`;
      expect(await (await waitForHttp(`${base}/healthz`, 30_000, server.output)).text()).toBe('ok');
      const index = readFileSync(join(dist, 'index.html'), 'utf8');
      const route = await fetch(`${base}/show/demo`);
      expect(route.status).toBe(200);
      expect(await route.text()).toBe(index);
      expect(route.headers.get('cache-control')).toBe('no-cache');
      const asset = readdirSync(join(dist, 'assets')).find((f) => f.endsWith('.js')) as string;
      const js = await fetch(`${base}/assets/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(js.status).toBe(200);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(js.headers.get('content-type')).toMatch(/javascript/);
    });

    it("serves every page with the web apps' security headers, the policy naming the image's LiveKit URL", async () => {
      expect(dockerfile).toContain('RUN node apps/viewer/csp.mjs "$LIVEKIT_URL" > /csp.txt');
      expect(dockerfile).toContain('COPY --from=build /csp.txt /etc/caddy/csp.txt');
      for (const path of ['/show/demo', '/']) {
        const page = await fetch(`${base}${path}`);
        for (const [name, value] of Object.entries(securityHeaders({ livekitUrl })))
          expect(page.headers.get(name), `${path} ${name}`).toBe(value);
      }
      expect(securityHeaders({ livekitUrl })['Content-Security-Policy']).toContain(
        "connect-src 'self' wss://livekit.example.com https://livekit.example.com;",
      );
    });
  });
});
