import { dispose, Room, RoomEvent, VideoStream } from '@livekit/rtc-node';
import { startSfu } from '@scenecast/sfu';
import { AccessToken } from 'livekit-server-sdk';
import { startCamera } from '../dist/index.js';

const W = Number(process.env.W ?? 3840),
  H = Number(process.env.H ?? 2160);
const sfu = await startSfu({ port: 0 });
console.log('sfu', sfu.url);
const t0 = Date.now();
const cam = await startCamera({
  scene: 'studio',
  auth: { kind: 'keys', url: sfu.url, apiKey: 'devkey', apiSecret: 'secret', show: 'exp' },
  width: W,
  height: H,
  fps: 10,
});
console.log('camera started', Date.now() - t0);
const at = new AccessToken('devkey', 'secret', { identity: 'sub' });
at.addGrant({ roomJoin: true, room: 'exp', canSubscribe: true, canPublish: false });
const room = new Room();
room.on(RoomEvent.TrackSubscribed, async (track, pub, p) => {
  console.log('subscribed', p.identity, pub.width, pub.height, pub.simulcasted, Date.now() - t0);
  const reader = new VideoStream(track).getReader();
  let n = 0;
  let last = '';
  setTimeout(() => {
    console.log('-> LOW', Date.now() - t0);
    globalThis._ffiClientInstance.request({
      message: {
        case: 'setRemoteTrackPublicationQuality',
        value: { trackPublicationHandle: pub.ffiHandle.handle, quality: 0 },
      },
    });
  }, 12000);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    n++;
    const key = `${value.frame.width}x${value.frame.height}`;
    if (key !== last || n % 20 === 0) {
      console.log('frame', n, key, value.frame.type, Date.now() - t0);
      last = key;
    }
  }
});
await room.connect(sfu.url, await at.toJwt(), { autoSubscribe: true, dynacast: false });
const start = process.cpuUsage();
await new Promise((r) => setTimeout(r, 22000));
const c = process.cpuUsage(start);
console.log('cpu %', (((c.user + c.system) / 1e3 / 22000) * 100).toFixed(0));
await room.disconnect();
await cam.stop();
await sfu.close();
await dispose();
console.log('done');
process.exit(0);
