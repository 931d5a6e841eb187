// The chat moderator against the engine — the embedded SFU or livekit-server, each its own process so its CPU
// is its own — with @livekit/rtc-node participants: a camera, viewers that render only what the moderator relays (as the
// viewer app does), the host, and scripted abusers (#20).
import { Room, RoomEvent, VideoStream } from '@livekit/rtc-node';
import { chatAttributes, chatKinds, chatTopic, moderatorIdentity } from '@scenecast/contract';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import {
  participantToken,
  processCpuSeconds,
  publishSyntheticVideo,
  startFlood,
  waitFor,
} from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChatLimits, type RunningModerator, startModerator } from '../src/index.js';

const show = 'moderated';
let engine: RunningEngine;
let url: string;
let moderator: RunningModerator;
let roomService: RoomServiceClient;
let camera: Room;
let stopFrames: () => void;
const clients: Client[] = [];

interface Line {
  kind: string;
  from: string;
  name: string;
  role: string;
  text: string;
  at: number;
}

interface Client {
  identity: string;
  room: Room;
  /** What this viewer's chat would show: only what the moderator sent. */
  lines: Line[];
  /** Chat from anyone else, which the viewer app ignores. */
  ignored: number;
  frames: number;
}

async function join(
  identity: string,
  { role = 'viewer', name = identity, token }: { role?: string; name?: string; token?: string } = {},
): Promise<Client> {
  const client: Client = { identity, room: new Room(), lines: [], ignored: 0, frames: 0 };
  client.room.registerTextStreamHandler(chatTopic, async (reader, { identity: sender }) => {
    if (sender !== moderatorIdentity) {
      client.ignored++;
      return;
    }
    const text = await reader.readAll().catch(() => undefined);
    if (text === undefined) return;
    const a = reader.info.attributes ?? {};
    client.lines.push({
      kind: a[chatAttributes.kind] ?? '',
      from: a[chatAttributes.from] ?? '',
      name: a[chatAttributes.name] ?? '',
      role: a[chatAttributes.role] ?? '',
      text,
      at: performance.now(),
    });
  });
  client.room.on(RoomEvent.TrackSubscribed, async (track) => {
    const reader = new VideoStream(track).getReader();
    while (!(await reader.read()).done) client.frames++;
  });
  await client.room.connect(
    url,
    token ??
      (await participantToken(
        show,
        identity,
        { canPublish: false, canPublishData: true },
        { name, attributes: { 'scenecast.role': role } },
      )),
  );
  clients.push(client);
  return client;
}

/** Sends as the viewer app does: to the moderator only. */
const say = (client: Client, text: string) =>
  client.room.localParticipant!.sendText(text, {
    topic: chatTopic,
    destinationIdentities: [moderatorIdentity],
  });

const linesFrom = (client: Client, from: string, kind: string = chatKinds.message) =>
  client.lines.filter((l) => l.from === from && l.kind === kind);

beforeAll(async () => {
  engine = await startEngine();
  url = engine.url;
  roomService = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
  camera = new Room();
  await camera.connect(url, await participantToken(show, 'camera'));
  stopFrames = await publishSyntheticVideo(camera, { fps: 15 });
  moderator = await startModerator({
    livekit: { url, apiKey: engine.apiKey, apiSecret: engine.apiSecret },
    pollMs: 300,
    wordList: async (name) => (name === show ? { words: ['scam'], action: 'mask' } : undefined),
  });
  await waitFor(() => moderator.shows().includes(show), { what: 'the moderator in the show' });
});

afterAll(async () => {
  await moderator?.close();
  for (const c of clients) await c.room.disconnect().catch(() => undefined);
  stopFrames?.();
  await camera?.disconnect();
  await engine?.close();
});

describe('chat through the moderator', () => {
  let mei: Client;
  let li: Client;
  let host: Client;

  beforeAll(async () => {
    mei = await join('viewer-mei', { name: 'Mei' });
    li = await join('viewer-li', { name: 'Li' });
    host = await join('feed-studio', { role: 'host', name: 'Studio' });
  });

  it('relays a viewer’s message to everyone, with the sender’s name; the host marked as the host', async () => {
    await say(mei, 'How salty is it?');
    await say(host, 'Not very: 4 % salt.');
    for (const c of [mei, li, host]) {
      await waitFor(
        () => linesFrom(c, 'viewer-mei').length === 1 && linesFrom(c, 'feed-studio').length === 1,
        {
          what: `both messages at ${c.identity}`,
        },
      );
      expect(linesFrom(c, 'viewer-mei')[0]).toMatchObject({
        name: 'Mei',
        role: '',
        text: 'How salty is it?',
      });
      expect(linesFrom(c, 'feed-studio')[0]).toMatchObject({
        name: 'Studio',
        role: 'host',
        text: 'Not very: 4 % salt.',
      });
    }
  });

  it("masks the brand's blocked words and strips hidden characters", async () => {
    await say(li, 'is this a S\u200BCAM\u202E?');
    await waitFor(() => linesFrom(mei, 'viewer-li').length === 1, { what: 'the masked message' });
    expect(linesFrom(mei, 'viewer-li')[0]!.text).toBe('is this a ****?');
  });

  it('tells only the sender why a message was not relayed', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3000)); // Li's bucket full again
    await say(li, 'x'.repeat(281));
    await waitFor(() => linesFrom(li, 'viewer-li', chatKinds.refused).length === 1, { what: 'the refusal' });
    expect(linesFrom(li, 'viewer-li', chatKinds.refused)[0]!.text).toMatch(
      /Not sent: longer than 280 characters/,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(linesFrom(mei, 'viewer-li', chatKinds.refused)).toEqual([]);
  });
});

describe('an abuser', () => {
  it('sending ten messages a second is muted within seconds through RoomService, and stays muted when it rejoins', async () => {
    const watcher = await join('viewer-watcher-1');
    const token = await participantToken(
      show,
      'viewer-pest',
      { canPublish: false, canPublishData: true },
      { name: 'Pest', attributes: { 'scenecast.role': 'viewer' } },
    );
    const pest = await join('viewer-pest', { token });
    const started = performance.now();
    let sent = 0;
    while (
      performance.now() - started < 5_000 &&
      linesFrom(watcher, 'viewer-pest', chatKinds.muted).length === 0
    ) {
      await say(pest, `buy my stuff ${sent++}`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const muted = await waitFor(() => linesFrom(watcher, 'viewer-pest', chatKinds.muted)[0], {
      what: 'the mute announced',
    });
    expect(muted.at - started).toBeLessThan(10_000);
    expect(muted.text).toBe('Pest was muted for flooding the chat.');
    const info = await roomService.getParticipant(show, 'viewer-pest');
    expect(info.permission?.canPublishData).toBe(false);
    expect(info.permission?.canSubscribe).toBe(true);
    // Relayed: the burst, then at most one a second.
    expect(linesFrom(watcher, 'viewer-pest').length).toBeLessThanOrEqual(
      defaultChatLimits.perSenderBurst + Math.ceil((muted.at - started) / 1000),
    );
    // Muted, its messages go nowhere; and a new session with the same token is muted at once.
    await pest.room.localParticipant!.sendText('still here', { topic: chatTopic }).catch(() => undefined);
    await pest.room.disconnect();
    const again = await join('viewer-pest', { token });
    await waitFor(
      async () =>
        (await roomService.getParticipant(show, 'viewer-pest')).permission?.canPublishData === false,
      {
        what: 'the rejoined pest muted',
      },
    );
    await say(again, 'let me back').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(watcher.lines.filter((l) => l.text === 'still here' || l.text === 'let me back')).toEqual([]);
    await again.room.disconnect();
  });

  it('flooding 1,000 messages a second to everyone: viewers show at most the allowed rate, it is muted within seconds, the engine CPU stays bounded and the show plays on', async () => {
    const watchers = [await join('viewer-watcher-2'), await join('viewer-watcher-3')];
    await waitFor(() => watchers.every((w) => w.frames > 5), { what: 'the show playing at every watcher' });
    const framesBefore = watchers.map((w) => w.frames);
    const cpuBefore = processCpuSeconds(engine.pid);
    const token = await participantToken(
      show,
      'viewer-flood',
      { canPublish: false, canPublishData: true },
      { name: 'Flood', attributes: { 'scenecast.role': 'viewer' } },
    );
    // A scripted viewer, in a process of its own: 1,000 messages a second to everyone for up to 8 s.
    const flood = startFlood({ url, token, perSecond: 1000, seconds: 8, mode: 'text' });
    await flood.joined;
    const started = performance.now();
    // Muted is when the engine stops taking its data (or has let it go): what RoomService says, polled.
    // The announcement reaches viewers after that, behind the flood already queued to them, so later on
    // a busy machine (4 s alone, 13 s once while the CI ran) — it is awaited, not timed.
    const mutedAt = await waitFor(
      async () => {
        const info = await roomService
          .getParticipant(show, 'viewer-flood')
          .catch((error: { code?: string }) => (error.code === 'not_found' ? 'gone' : undefined));
        return info === 'gone' || info?.permission?.canPublishData === false ? performance.now() : false;
      },
      { what: 'the flood muted at the engine', timeoutMs: 15_000 },
    );
    const muted = await waitFor(() => linesFrom(watchers[0]!, 'viewer-flood', chatKinds.muted)[0], {
      what: 'the mute announced to the viewers',
      timeoutMs: 30_000,
    });
    const report = await flood.report;
    // The show runs on for a while.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const seconds = (performance.now() - started) / 1000;
    const cpu = (processCpuSeconds(engine.pid) - cpuBefore) / seconds;
    const shown = watchers.map((w) => linesFrom(w, 'viewer-flood').length);
    console.log(
      `flood: ${report.sent} sent in ${report.seconds.toFixed(1)} s, muted after ${(mutedAt - started).toFixed(0)} ms, announced after ${(muted.at - started).toFixed(0)} ms; ` +
        `shown by the viewers ${shown.join('/')}, ignored (sent to them directly) ${watchers.map((w) => w.ignored).join('/')}; ` +
        `engine (${engine.engine}) CPU ${(cpu * 100).toFixed(0)} % of a core; frames ${watchers.map((w, i) => w.frames - framesBefore[i]!).join('/')} in ${seconds.toFixed(1)} s`,
    );
    // It flooded (at 1,000 a second on an idle machine; less when this machine's cores are busy).
    expect(report.sent / report.seconds).toBeGreaterThan(300);
    // Within seconds: 1–4 s here, the first refusals arriving as fast as the flooder's SDK sends.
    expect(mutedAt - started).toBeLessThan(10_000);
    for (const count of shown)
      expect(count).toBeLessThanOrEqual(
        defaultChatLimits.perSenderBurst + Math.ceil(seconds * defaultChatLimits.perSenderPerSecond),
      );
    expect(cpu).toBeLessThan(0.5);
    for (const [i, w] of watchers.entries()) expect(w.frames - framesBefore[i]!).toBeGreaterThan(5 * seconds);
  });
});
