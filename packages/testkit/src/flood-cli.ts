// The flooding participant's process (flood.ts starts it): prints `joined`, then a JSON report.
import { Room, RoomEvent } from '@livekit/rtc-node';
import type { FloodOptions } from './flood.js';

const options = JSON.parse(process.argv[2]!) as FloodOptions;
const room = new Room();
let gone = false;
room.on(RoomEvent.Disconnected, () => {
  gone = true;
});
await room.connect(options.url, options.token);
console.log('joined');
const local = room.localParticipant!;
const destinationIdentities = options.to ? [options.to] : undefined;
const payload = new TextEncoder().encode('BUY NOW '.repeat(8));
const started = performance.now();
let sent = 0;
while (!gone && performance.now() - started < options.seconds * 1000) {
  const due = Math.floor(((performance.now() - started) * options.perSecond) / 1000);
  for (; sent < due; sent++) {
    const sending =
      options.mode === 'text'
        ? local.sendText(`FLOOD ${sent}`, { topic: 'chat', destinationIdentities })
        : local.publishData(payload, {
            reliable: true,
            topic: 'chat',
            destination_identities: destinationIdentities,
          });
    sending.catch(() => undefined);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log(JSON.stringify({ sent, gone, seconds: (performance.now() - started) / 1000 }));
