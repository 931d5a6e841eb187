// A scripted viewer in a process of its own (so its sending does not slow the moderator under test):
// joins, then sends chat text streams at `perSecond` for `seconds` or until the server sends it away.
// Prints `joined`, then a JSON report (sent, gone, seconds).
// Usage: node flood.mjs <url> <token> <perSecond> <seconds> [destination identity]
import { Room, RoomEvent } from '@livekit/rtc-node';

const [url, token, perSecond, seconds, to] = process.argv.slice(2);
const room = new Room();
let gone = false;
room.on(RoomEvent.Disconnected, () => {
  gone = true;
});
await room.connect(url, token);
console.log('joined');
const started = performance.now();
let sent = 0;
// Paced by the clock, not waiting for each send, as a flooding script does.
while (!gone && performance.now() - started < Number(seconds) * 1000) {
  const due = Math.floor(((performance.now() - started) * Number(perSecond)) / 1000);
  for (; sent < due; sent++)
    room.localParticipant
      .sendText(`FLOOD ${sent}`, { topic: 'chat', ...(to ? { destinationIdentities: [to] } : {}) })
      .catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log(JSON.stringify({ sent, gone, seconds: (performance.now() - started) / 1000 }));
process.exit(0);
