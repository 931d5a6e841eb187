// CPU per synthetic camera: rendering alone (the baseline: what our picture costs) side by side with
// rendering + libwebrtc's VP8 simulcast encoding + sending, per resolution, through the embedded SFU.
import { disposeCameras, SceneRenderer, startCamera } from '@scenecast/camera-sim';
import { startSfu } from '@scenecast/sfu';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const fps = 15;

function cpuPercent(start: NodeJS.CpuUsage, ms: number): number {
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / ms) * 100;
}

async function renderOnly(width: number, height: number): Promise<number> {
  const renderer = new SceneRenderer('studio', width, height);
  const start = process.cpuUsage();
  const began = performance.now();
  while (performance.now() - began < seconds * 1000) {
    renderer.next();
    await new Promise((resolve) => setTimeout(resolve, 1000 / fps));
  }
  return cpuPercent(start, performance.now() - began);
}

async function publishing(url: string, width: number, height: number): Promise<number> {
  const camera = await startCamera({
    scene: 'studio',
    auth: { kind: 'keys', url, apiKey: 'devkey', apiSecret: 'secret', show: 'cost' },
    width,
    height,
    fps,
    dynacast: false,
  });
  await new Promise((resolve) => setTimeout(resolve, 3000)); // past connection and encoder start-up
  const start = process.cpuUsage();
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const percent = cpuPercent(start, performance.now() - began);
  await camera.stop();
  return percent;
}

export async function run(): Promise<void> {
  // The SFU runs in this process too and receives the layers; nobody subscribes, and dynacast is off so
  // every layer keeps encoding as it would with viewers.
  const sfu = await startSfu({ port: 0 });
  console.log(
    `${seconds} s per row at ${fps} fps; % of one core (this process: renderer, rtc-node encoder, SFU receive)\n`,
  );
  console.log('| camera | render only | render + encode + send |\n| --- | --- | --- |');
  for (const [w, h] of [
    [1280, 720],
    [1920, 1080],
    [3840, 2160],
  ] as const) {
    const base = await renderOnly(w, h);
    const full = await publishing(sfu.url, w, h);
    console.log(`| ${w}x${h} | ${base.toFixed(1)} % | ${full.toFixed(1)} % |`);
  }
  await sfu.close();
  await disposeCameras();
}
