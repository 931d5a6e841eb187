// Publisher uplink: what a camera's own send-side bandwidth estimate (libwebrtc's GCC in @livekit/rtc-node)
// does toward each engine, over a link with room to spare (loopback). The engine's part is its feedback:
// transport-cc arrival times, receiver reports, keyframe requests. One studio camera as the demo's (720p,
// 10 fps, a 6 Mbit/s top layer, noise so the encoder spends it), dynacast off so every layer is sent with
// no subscriber; each second its estimate (the nominated pair's availableOutgoingBitrate) and its top
// layer's frame rate. Engines alternate run by run, each run on a fresh engine. Reported per engine: the
// median estimate from 10 s on, the share of those seconds the top layer ran at 8 fps or more, and the
// cuts (a second-to-second fall of over 30 %). livekit-server is the baseline.
import { type CameraLayer, type RunningCamera, startCamera } from '@scenecast/camera-sim';
import { type EngineName, engineNames, startEngine } from '@scenecast/engine';
import { percentile } from '../percentile.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const settleSeconds = 10;
const fps = 10;

interface Run {
  estimates: number[];
  topFps: number[];
  /** NACKs the camera received over the run, and packets it sent again. */
  nacks: number;
  retransmitted: number;
  keyframeRequests: number;
}

async function once(engine: EngineName): Promise<Run> {
  const sfu = await startEngine({ engine });
  let camera: RunningCamera | undefined;
  try {
    camera = await startCamera({
      scene: 'studio',
      auth: { kind: 'keys', url: sfu.url, apiKey: sfu.apiKey, apiSecret: sfu.apiSecret, show: 'uplink' },
      width: 1280,
      height: 720,
      fps,
      maxBitrate: 6_000_000,
      noise: 0.25,
      dynacast: false,
    });
    await camera.live();
    const run: Run = { estimates: [], topFps: [], nacks: 0, retransmitted: 0, keyframeRequests: 0 };
    for (let s = 0; s < seconds; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const uplink = await camera.uplink();
      const top: CameraLayer | undefined = (await camera.layers()).at(-1);
      run.estimates.push(uplink?.estimateBps ?? 0);
      run.topFps.push(top?.framesPerSecond ?? 0);
      run.nacks = uplink?.nacksReceived ?? run.nacks;
      run.retransmitted = uplink?.retransmittedPackets ?? run.retransmitted;
      run.keyframeRequests = uplink?.keyframeRequests ?? run.keyframeRequests;
    }
    return run;
  } finally {
    await camera?.stop();
    await sfu.close();
  }
}

function summarise(list: Run[]) {
  const settled = list.flatMap((r) => r.estimates.slice(settleSeconds));
  const fpsSettled = list.flatMap((r) => r.topFps.slice(settleSeconds));
  const cuts = list.reduce(
    (sum, r) => sum + r.estimates.filter((e, i) => i > 0 && e < 0.7 * r.estimates[i - 1]!).length,
    0,
  );
  return {
    medianMbps: percentile(settled, 50) / 1e6,
    p10Mbps: percentile(settled, 10) / 1e6,
    smooth: fpsSettled.filter((f) => f >= 0.8 * fps).length / Math.max(1, fpsSettled.length),
    cutsPerMinute: cuts / ((list.length * seconds) / 60),
  };
}

export async function run(): Promise<void> {
  const results = new Map<EngineName, Run[]>(engineNames.map((e) => [e, []]));
  for (let i = 0; i < runs; i++)
    for (const engine of engineNames) {
      const result = await once(engine);
      results.get(engine)!.push(result);
      console.error(
        `${engine} run ${i + 1}: ${result.nacks} NACKs, ${result.retransmitted} packets sent again, ${result.keyframeRequests} keyframe requests; estimate Mbit/s ${result.estimates.map((e) => (e / 1e6).toFixed(1)).join(' ')}`,
      );
    }
  const rows = engineNames.map((engine) => ({ engine, ...summarise(results.get(engine)!) }));
  const base = rows.find((r) => r.engine === 'livekit')!;
  console.log(
    `${runs} runs of ${seconds} s per engine, alternating; from ${settleSeconds} s on.\n\n` +
      '| engine | median estimate | p10 estimate | top layer at ≥ 8 fps | cuts per minute |\n|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.engine} | ${r.medianMbps.toFixed(1)} Mbit/s (${(r.medianMbps / base.medianMbps).toFixed(2)}x) | ${r.p10Mbps.toFixed(1)} Mbit/s | ${Math.round(100 * r.smooth)} % | ${r.cutsPerMinute.toFixed(1)} |`,
    );
}
