import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';

const require = createRequire(import.meta.url);

export interface WhipPublisherOptions {
  /** The WHIP endpoint the encoder is configured with (an engine's `/whip/v1`, the token service's). */
  endpoint: string;
  /** The bearer token: an access token, or a stream key. */
  token: string;
  /** Three layers, rids q/h/f (quarter, half, full size), as an encoder with simulcast sends them. */
  simulcast?: boolean;
  /**
   * With simulcast: each layer's cap in kbps (q, h, f), as an encoder's bitrate setting caps it. The browser's
   * own defaults want about 6 Mbps of send estimate before it sends a 4K top layer at all.
   */
  layerKbps?: [number, number, number];
  /** The video codec offered first (what OBS sends is H.264); Chromium's default otherwise (VP8). */
  codec?: 'vp8' | 'h264';
  width?: number;
  height?: number;
  /**
   * What the browser gives up when the send estimate or the CPU is short (RTCRtpSendParameters'); its
   * default, maintain-framerate, sends a single 4K layer at a fraction of its size until the estimate is high.
   */
  degradationPreference?: 'maintain-framerate' | 'maintain-resolution' | 'balanced';
  /** The fake camera's frame rate; default 30. */
  frameRate?: number;
  /**
   * A Chromium already running (this machine allows one at a time): the client gets a page of it, and
   * stop() closes that page only. Without one, a Chromium of its own, closed by stop().
   */
  browser?: Browser;
}

export interface OutboundLayer {
  rid?: string;
  width?: number;
  height?: number;
  framesPerSecond?: number;
  /** Why the browser sends less than it could: bandwidth, cpu or none. */
  qualityLimitationReason?: string;
  targetBitrate?: number;
}

export interface WhipPublisher {
  /** The session's resource (the answer's `Location`, made absolute). */
  resourceUrl: string;
  /** When the client began its POST (ms since the epoch, this machine's clock). */
  postedAt: number;
  page: Page;
  /** The status of each trickle PATCH the client has sent so far (If-Match: the session's ETag). */
  patchStatuses(): Promise<number[]>;
  /** What the encoder sends now, one entry per layer (its outbound-rtp stats). */
  outboundVideo(): Promise<OutboundLayer[]>;
  /** DELETE the resource (the client's own `destroy()`), then close the browser. */
  stop(): Promise<void>;
}

/**
 * The page's side: the fake camera (and microphone) through the client's public API; its
 * `peerConnectionFactory` adds the simulcast encodings the client has no option for.
 */
const publishScript = `
async function publish({ endpoint, token, simulcast, layerKbps, degradationPreference, codec, width, height, frameRate }) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: width }, height: { exact: height }, frameRate },
    audio: true,
  });
  const factory = (config) => {
    const pc = new RTCPeerConnection(config);
    window.whipPeer = pc;
    const addTrack = pc.addTrack.bind(pc);
    pc.addTrack = (track, ...streams) => {
      if (track.kind !== 'video') return addTrack(track, ...streams);
      const cap = (i) => (layerKbps ? { maxBitrate: layerKbps[i] * 1000 } : {});
      const sendEncodings = simulcast
        ? [{ rid: 'q', scaleResolutionDownBy: 4, ...cap(0) }, { rid: 'h', scaleResolutionDownBy: 2, ...cap(1) }, { rid: 'f', ...cap(2) }]
        : undefined;
      const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams, sendEncodings });
      if (degradationPreference) {
        const parameters = transceiver.sender.getParameters();
        parameters.degradationPreference = degradationPreference;
        transceiver.sender.setParameters(parameters).catch((e) => console.error('WHIPClient: ' + e.message));
      }
      if (codec) {
        const codecs = RTCRtpSender.getCapabilities('video').codecs;
        const first = codecs.filter((c) => c.mimeType.toLowerCase() === 'video/' + codec &&
          (codec !== 'h264' || /packetization-mode=1/.test(c.sdpFmtpLine ?? '') && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? '')));
        if (first.length === 0) throw new Error('WHIPClient: this browser cannot send ' + codec);
        transceiver.setCodecPreferences([...first, ...codecs.filter((c) => !first.includes(c))]);
      }
      return transceiver.sender;
    };
    return pc;
  };
  // The client's own protocol sends a PATCH's entity tag as an ETag request header (which a CORS preflight
  // refuses); RFC 9725 §4.3.1 asks for If-Match. Its \`whipProtocol\` option sends the same requests, as the
  // RFC says, and keeps each trickle PATCH's status for the test.
  const auth = () => (token ? { authorization: 'Bearer ' + token } : {});
  window.whipPatches = [];
  const whipProtocol = {
    sendOffer: (url, _token, sdp) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth() }, body: sdp }),
    // The client trickles only where the OPTIONS answer's Access-Control-Allow-Methods lists PATCH, which a
    // page cannot read cross-origin; every endpoint the tests publish to takes PATCH, so the client is told.
    async getConfiguration(url) {
      const response = await fetch(url, { method: 'OPTIONS', headers: auth() });
      const headers = new Headers(response.headers);
      headers.set('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      return new Response(null, { status: response.status, headers });
    },
    delete: (url) => fetch(url, { method: 'DELETE', headers: auth() }),
    async updateIce(url, etag, fragment) {
      const headers = { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': etag, ...auth() };
      const response = await fetch(url, { method: 'PATCH', headers, body: fragment });
      window.whipPatches.push(response.status);
      return response;
    },
  };
  const client = new WHIP.WHIPClient({ endpoint, opts: { authkey: token, iceServers: [] }, peerConnectionFactory: factory, whipProtocol });
  window.whip = client;
  window.whipPostAt = Date.now();
  await client.ingest(stream);
  return client.getResourceUrl();
}

async function outboundVideo() {
  const layers = [];
  for (const r of (await window.whipPeer.getStats()).values())
    if (r.type === 'outbound-rtp' && r.kind === 'video')
      layers.push({ rid: r.rid, width: r.frameWidth, height: r.frameHeight, framesPerSecond: r.framesPerSecond,
        qualityLimitationReason: r.qualityLimitationReason, targetBitrate: r.targetBitrate });
  return layers;
}`;

/** @eyevinn/whip-web-client is published as an ES module importing `events` and `sdp-transform`: bundled once. */
let bundle: Promise<string> | undefined;
function whipClientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [require.resolve('@eyevinn/whip-web-client')],
    bundle: true,
    format: 'iife',
    globalName: 'WHIP',
    platform: 'browser',
    write: false,
  }).then((result) => result.outputFiles[0]!.text);
  return bundle;
}

async function servePage(): Promise<{ url: string; server: Server }> {
  const script = await whipClientBundle();
  const server = createServer((req, res) => {
    if (req.url === '/whip-client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<!doctype html><html><body><script src="/whip-client.js"></script><script>${publishScript}</script></body></html>`,
        );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/**
 * Publishes Chromium's fake camera with @eyevinn/whip-web-client — an independent WHIP client, driven only
 * through its public API (`peerConnectionFactory` adds the simulcast encodings it has no option for;
 * `whipProtocol` sends its trickle PATCHes with If-Match, as RFC 9725 asks).
 * Resolves once the endpoint answered 201; rejects with the client's own error when it refused.
 */
export async function publishWhipFromChromium(options: WhipPublisherOptions): Promise<WhipPublisher> {
  const { url, server } = await servePage();
  const browser: Browser = options.browser ?? (await launchChromium());
  const page = await browser.newPage();
  const close = async () => {
    if (options.browser) await page.close().catch(() => undefined);
    else await browser.close().catch(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const refused = new Promise<never>((_, reject) => {
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().includes('WHIPClient'))
          reject(new Error(`WHIP client: ${message.text()}`));
      });
    });
    await page.goto(url);
    const ingest = page.evaluate<string>(
      `publish(${JSON.stringify({
        endpoint: options.endpoint,
        token: options.token,
        simulcast: options.simulcast ?? false,
        layerKbps: options.layerKbps,
        degradationPreference: options.degradationPreference,
        codec: options.codec,
        width: options.width ?? 1280,
        height: options.height ?? 720,
        frameRate: options.frameRate ?? 30,
      })})`,
    );
    const resourceUrl = await Promise.race([ingest, refused]);
    return {
      resourceUrl,
      postedAt: (await page.evaluate('window.whipPostAt')) as number,
      page,
      patchStatuses: async () => (await page.evaluate('window.whipPatches')) as number[],
      outboundVideo: async () => (await page.evaluate('outboundVideo()')) as OutboundLayer[],
      async stop() {
        await page.evaluate('window.whip.destroy()').catch(() => undefined);
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
