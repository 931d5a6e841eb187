import { dispose, VideoBufferType, VideoFrame, VideoSource } from '@livekit/rtc-node';

const W = 3840,
  H = 2160;
const src = new VideoSource(W, H);
const rgba = new Uint8Array(W * H * 4).fill(100);
const i420 = new Uint8Array((W * H * 3) / 2).fill(100);
for (const [name, buf, type] of [
  ['I420', i420, VideoBufferType.I420],
  ['RGBA', rgba, VideoBufferType.RGBA],
  ['I420', i420, VideoBufferType.I420],
]) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 60; i++) src.captureFrame(new VideoFrame(buf, W, H, type));
  const c = process.cpuUsage(c0);
  console.log(
    name,
    'ms/frame wall',
    ((performance.now() - t0) / 60).toFixed(2),
    'cpu',
    ((c.user + c.system) / 1000 / 60).toFixed(2),
  );
}
await src.close();
await dispose();
