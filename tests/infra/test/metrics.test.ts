// Every metric the alert rules and Grafana dashboards of infra/observability query, looked up in the
// /metrics of the running engines and token service while a show is live and media flows: a panel or
// rule on a metric (or label, or label value) nobody exports fails here, not on an operator's screen.
import { Room } from '@livekit/rtc-node';
import { type RunningSfu, startSfu } from '@scenecast/sfu';
import { LoadSubscriber, participantToken, publishSyntheticVideo, waitFor } from '@scenecast/testkit';
import { type RunningTokenService, startTokenService } from '@scenecast/token-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type Exposition,
  missing,
  observabilityQueries,
  readExposition,
  scrapeJobs,
  selectors,
} from './promql.js';
import { freePort, requirePath, skipWithout, startProcess, tool, waitForHttp } from './support.js';

const queries = observabilityQueries();
const admin = 'infra-test-admin-token-0123';
const scrape = async (url: string): Promise<Exposition> => readExposition(await (await fetch(url)).text());

/** How many observations a histogram has in a target, to wait for media to be measured. */
const observed = (text: string, name: string) =>
  [...text.matchAll(new RegExp(`^${name}_count(\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (n, m) => n + Number(m[2]),
    0,
  );

describe('the queries of infra/observability', () => {
  it('are all valid PromQL, and name only metrics of the token service, LiveKit, or Prometheus itself', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const query of queries)
      for (const { name } of selectors(query.expr))
        expect(name, query.where).toMatch(/^(token_service_|livekit_|up$)/);
  });

  it('up{job=…} names only jobs prometheus.yml scrapes', () => {
    const jobs = scrapeJobs();
    const asked = queries.flatMap((q) =>
      selectors(q.expr)
        .filter((s) => s.name === 'up')
        .flatMap((s) => s.matchers.filter((m) => m.label === 'job').map((m) => m.value)),
    );
    expect(asked.length).toBeGreaterThan(2);
    expect(asked.filter((job) => !jobs.includes(job))).toEqual([]);
  });

  it('the check bites: a misspelt metric, label or label value is reported', () => {
    const target = readExposition(
      '# TYPE token_service_http_requests_total counter\ntoken_service_http_requests_total{route="/v1/x",status="200"} 1\n',
    );
    const check = (expr: string) => missing({ where: 'q', expr }, target, 'token_service_');
    expect(check('rate(token_service_http_requests_total{status=~"5.."}[5m])')).toEqual([]);
    expect(check('token_service_http_request_total')).toEqual([
      'q: token_service_http_request_total is not exported',
    ]);
    expect(check('token_service_http_requests_total{code="500"}')).toEqual([
      'q: token_service_http_requests_total has no label code',
    ]);
    expect(check('token_service_http_requests_total{route="/v1/y"}')).toEqual([
      'q: no token_service_http_requests_total{route="/v1/y"} sample',
    ]);
    expect(() => selectors('sum(rate(x[5m])')).toThrow(/PromQL syntax error/);
  });
});

describe('against the embedded SFU and the token service, during a live show', () => {
  let sfu: RunningSfu;
  let service: RunningTokenService;
  const rooms: Room[] = [];
  let stopCamera: (() => void) | undefined;

  const api = async (method: string, path: string, body?: unknown, key?: string) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };

  beforeAll(async () => {
    const port = await freePort();
    sfu = await startSfu({
      port: 0,
      webhook: { urls: [`http://127.0.0.1:${port}/v1/livekit/webhook`], apiKey: 'devkey' },
    });
    service = await startTokenService({
      port,
      databaseUrl: ':memory:',
      adminToken: admin,
      logLevel: 'warn',
      // One viewer token a minute per client: the second request shows the 429 the dashboard plots.
      viewerTokenRateLimit: 1,
      livekit: { url: sfu.url, apiKey: 'devkey', apiSecret: 'secret' },
    });
    const key = (await api('POST', '/v1/brands', { name: 'Metrics' }, admin)).body.apiKey;
    await api(
      'POST',
      '/v1/shows',
      {
        id: 'metrics-show',
        title: 'Metrics',
        product: 'Ham',
        status: 'live',
        scenes: [
          { id: 'farm', kind: 'farm', label: 'Farm' },
          { id: 'studio', kind: 'studio', label: 'Studio' },
        ],
      },
      key,
    );
    const feeds = [];
    for (const sceneId of ['farm', 'studio'])
      feeds.push(
        (
          await api(
            'POST',
            '/v1/shows/metrics-show/feeds',
            { sceneId, label: sceneId, sourceKind: 'synthetic' },
            key,
          )
        ).body,
      );
    // The farm camera publishes; the studio one stays offline (the alert's case).
    const feedToken = (await api('POST', `/v1/feeds/${feeds[0].id}/token`, {}, key)).body;
    const camera = new Room();
    rooms.push(camera);
    await camera.connect(feedToken.url, feedToken.token, { autoSubscribe: false, dynacast: false });
    stopCamera = await publishSyntheticVideo(camera, { width: 320, height: 180, fps: 15 });
    const viewerToken = (await api('POST', '/v1/shows/metrics-show/viewer-token', {})).body;
    expect((await api('POST', '/v1/shows/metrics-show/viewer-token', {})).status).toBe(429);
    await api('GET', '/v1/shows/no-such-show');
    const viewer = new Room();
    rooms.push(viewer);
    await viewer.connect(viewerToken.url, viewerToken.token, { autoSubscribe: true, dynacast: false });
    // Until the viewer's receiver reports have reached the loss histogram.
    await waitFor(
      async () =>
        observed(await (await fetch(`${sfu.httpUrl}/metrics`)).text(), 'livekit_packet_loss_percent') >= 3,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: 'the embedded SFU observing receiver reports',
      },
    );
  });

  afterAll(async () => {
    stopCamera?.();
    for (const room of rooms) await room.disconnect().catch(() => undefined);
    await sfu?.close();
    await service?.close();
  });

  it('the token service exports every token_service_ metric queried, with those labels and values', async () => {
    const target = await scrape(`${service.url}/metrics`);
    expect(queries.flatMap((q) => missing(q, target, 'token_service_'))).toEqual([]);
    // The feed-offline alert's series: the live show's two feeds, the publishing one live.
    const feeds = target.series.get('token_service_feed_live') ?? [];
    expect(feeds.map((l) => l.scene).sort()).toEqual(['farm', 'studio']);
  });

  it('the embedded SFU exports every livekit_ metric queried, observed with media flowing', async () => {
    const target = await scrape(`${sfu.httpUrl}/metrics`);
    expect(queries.flatMap((q) => missing(q, target, 'livekit_'))).toEqual([]);
    for (const name of ['livekit_packet_bytes', 'livekit_packet_total', 'livekit_packet_loss_percent_count'])
      expect(target.series.get(name)?.length, name).toBeGreaterThan(0);
  });
});

const livekit = tool('livekit-server');

describe('against the real livekit-server, with media flowing', skipWithout(livekit), () => {
  let server: ReturnType<typeof startProcess>;
  let metricsUrl = '';
  let url = '';
  const rooms: Room[] = [];
  let lossy: LoadSubscriber | undefined;
  let stopCamera: (() => void) | undefined;
  const secret = 'infra-test-secret-of-at-least-32-characters';

  beforeAll(async () => {
    const [port, tcpPort, udpPort, prometheusPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const config = {
      port,
      bind_addresses: ['127.0.0.1'],
      rtc: { tcp_port: tcpPort, udp_port: udpPort, node_ip: '127.0.0.1', use_external_ip: false },
      prometheus: { port: prometheusPort },
      keys: { infra: secret },
      logging: { level: 'warn' },
    };
    server = startProcess(requirePath(livekit), ['--config-body', stringify(config)], {});
    url = `ws://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${prometheusPort}/metrics`;
    await waitForHttp(`http://127.0.0.1:${port}/`, 60_000, server.output);
    const token = (identity: string, grant = {}) =>
      participantToken('metrics', identity, grant, { key: 'infra', secret });
    const camera = new Room();
    rooms.push(camera);
    await camera.connect(url, await token('camera'), { autoSubscribe: false, dynacast: false });
    stopCamera = await publishSyntheticVideo(camera, { width: 320, height: 180, fps: 15, noise: 0.05 });
    const viewer = new Room();
    rooms.push(viewer);
    await viewer.connect(url, await token('viewer', { canPublish: false }), {
      autoSubscribe: true,
      dynacast: false,
    });
    // A viewer on a lossy link: its NACKs and loss reports make LiveKit's per-event series appear.
    lossy = new LoadSubscriber(url, await token('lossy', { canPublish: false }));
    await lossy.connect();
    lossy.inboundLossPercent = 10;
    await waitFor(
      async () => {
        const text = await (await fetch(metricsUrl)).text();
        return observed(text, 'livekit_packet_loss_percent') >= 3 && /^livekit_nack_total/m.test(text);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'LiveKit reporting packet loss and NACKs' },
    );
  });

  afterAll(async () => {
    stopCamera?.();
    await lossy?.close();
    for (const room of rooms) await room.disconnect().catch(() => undefined);
    await server?.stop();
  });

  it('LiveKit exports every livekit_ metric queried', async () => {
    const target = await scrape(metricsUrl);
    expect(queries.flatMap((q) => missing(q, target, 'livekit_'))).toEqual([]);
  });
});
