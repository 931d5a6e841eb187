#!/usr/bin/env node
// scenecast-camera --show demo --scene factory [--width 1920 --height 1080 --fps 15]
import { parseArgs } from 'node:util';
import { type CameraAuth, disposeCameras, startCamera } from './camera.js';

const { values } = parseArgs({
  options: {
    show: { type: 'string', default: 'demo' },
    scene: { type: 'string' },
    width: { type: 'string', default: '3840' },
    height: { type: 'string', default: '2160' },
    fps: { type: 'string', default: '15' },
    url: { type: 'string', default: process.env.LIVEKIT_URL ?? 'ws://127.0.0.1:7880' },
    'api-key': { type: 'string', default: process.env.LIVEKIT_API_KEY ?? 'devkey' },
    'api-secret': { type: 'string', default: process.env.LIVEKIT_API_SECRET ?? 'secret' },
    token: { type: 'string' },
    'token-service': { type: 'string', default: process.env.TOKEN_SERVICE_URL },
    'brand-key': { type: 'string', default: process.env.SCENECAST_BRAND_KEY },
    feed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.scene) {
  console.log(`usage: scenecast-camera --scene <id> [--show demo] [--width 3840 --height 2160 --fps 15]
  auth, one of:  --feed <id> --token-service <url> --brand-key <key>   (a feed of the token service)
                 --token <jwt> --url <ws url>                           (a ready token)
                 --api-key devkey --api-secret secret --url <ws url>    (mint one; dev default)`);
  process.exit(values.help ? 0 : 2);
}

const auth: CameraAuth = values.feed
  ? {
      kind: 'feed',
      tokenServiceUrl: values['token-service'] ?? 'http://127.0.0.1:8080',
      brandKey: values['brand-key'] ?? '',
      feedId: values.feed,
    }
  : values.token
    ? { kind: 'token', url: values.url!, token: values.token }
    : {
        kind: 'keys',
        url: values.url!,
        apiKey: values['api-key']!,
        apiSecret: values['api-secret']!,
        show: values.show!,
      };

const camera = await startCamera({
  scene: values.scene,
  auth,
  width: Number(values.width),
  height: Number(values.height),
  fps: Number(values.fps),
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await camera.stop();
    await disposeCameras();
    process.exit(0);
  });
}
