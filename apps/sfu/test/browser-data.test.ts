// Chat as the viewer app does it: livekit-client text streams and data packets on topic "chat",
// between two browsers that may not publish media, relayed by the engine.

import { type RunningEngine, startEngine } from '@scenecast/engine';
import { launchChromium, participantToken, serveLivekitClientPage, waitFor } from '@scenecast/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

declare const LivekitClient: typeof import('livekit-client');
declare global {
  interface Window {
    room: import('livekit-client').Room;
    received: unknown[][];
  }
}

let engine: RunningEngine;
let page: Awaited<ReturnType<typeof serveLivekitClientPage>>;
let browser: Browser;

async function join(identity: string, grant: Record<string, unknown> = {}): Promise<Page> {
  const p = await browser.newPage();
  if (process.env.DEBUG_TEST) p.on('console', (m) => console.log(`[${identity}] ${m.text()}`));
  await p.goto(page.url);
  // As the token service's viewer grant: no media, but chat (canPublishData must be said: unset, it
  // follows canPublish).
  const token = await participantToken('chat', identity, {
    canPublish: false,
    canPublishData: true,
    ...grant,
  });
  await p.evaluate(
    async ({ url, token }) => {
      const room = new LivekitClient.Room();
      window.received = [];
      room.registerTextStreamHandler('chat', async (reader, info) => {
        window.received.push(['text', info.identity, await reader.readAll()]);
      });
      room.on(LivekitClient.RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
        window.received.push(['data', participant?.identity, topic, new TextDecoder().decode(payload)]);
      });
      await room.connect(url, token);
      window.room = room;
    },
    { url: engine.url, token },
  );
  return p;
}

/** What `p` has received once it holds at least `count` messages. */
function received(p: Page, count: number, what: string): Promise<unknown[][]> {
  return waitFor(
    async () => {
      const got = await p.evaluate(() => window.received);
      return got.length >= count ? got : undefined;
    },
    { what },
  );
}

beforeAll(async () => {
  engine = await startEngine();
  page = await serveLivekitClientPage();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await engine?.close();
});

describe('data through the engine', () => {
  it('relays chat text streams and data packets both ways, stamped with the sender identity', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.evaluate(async () => {
      await window.room.localParticipant.sendText('hello from alice', { topic: 'chat' });
      await window.room.localParticipant.publishData(new TextEncoder().encode('raw'), {
        reliable: true,
        topic: 'chat',
      });
    });
    const atBob = await received(bob, 2, 'alice’s messages at bob');
    expect(atBob).toContainEqual(['text', 'alice', 'hello from alice']);
    expect(atBob).toContainEqual(['data', 'alice', 'chat', 'raw']);

    await bob.evaluate(() => window.room.localParticipant.sendText('hi alice', { topic: 'chat' }));
    const atAlice = await received(alice, 1, 'bob’s reply at alice');
    expect(atAlice).toEqual([['text', 'bob', 'hi alice']]);
  });

  it('delivers chat sent the moment a participant joins, before its data channel opens', async () => {
    const host = await join('host');
    // The host greets whoever joins as soon as the room announces them: the newcomer's data channel opens
    // only after its connection does, so the SFU must hold the greeting until then.
    await host.evaluate(() => {
      window.room.on(LivekitClient.RoomEvent.ParticipantConnected, (participant) => {
        void window.room.localParticipant.sendText(`welcome ${participant.identity}`, { topic: 'chat' });
      });
    });
    const guest = await join('guest');
    const atGuest = await received(guest, 1, 'the greeting at the guest');
    expect(atGuest).toEqual([['text', 'host', 'welcome guest']]);
  });

  it('does not deliver data from a participant whose token forbids it', async () => {
    const muted = await join('muted', { canPublishData: false });
    const listener = await join('listener');
    await muted.evaluate(() =>
      window.room.localParticipant.publishData(new TextEncoder().encode('spam'), {
        reliable: true,
        topic: 'chat',
      }),
    );
    // A control message sent afterwards by someone allowed proves delivery is working meanwhile.
    const control = await join('control');
    // Once the listener knows the sender: data that overtakes the participant update arrives without an
    // identity (LiveKit batches participant updates, so on it this is a real race).
    await waitFor(() => listener.evaluate(() => window.room.remoteParticipants.has('control')), {
      what: 'the listener to see control',
    });
    await control.evaluate(() =>
      window.room.localParticipant.publishData(new TextEncoder().encode('ok'), {
        reliable: true,
        topic: 'chat',
      }),
    );
    const got = await waitFor(
      async () => {
        const r = await listener.evaluate(() => window.received);
        return r.some((m) => m[1] === 'control') ? r : undefined;
      },
      { what: 'the control message' },
    );
    expect(got.some((m) => m[1] === 'muted')).toBe(false);
  });
});
