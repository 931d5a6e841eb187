// `npm start` as a person runs it: the root command brings the whole demo up and prints where to look;
// Ctrl-C (SIGINT to the terminal's process group) takes every process down with it. On the livekit pass
// it is `npm start -- --engine livekit`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributes, moderatorIdentity, ScenecastClient } from '@scenecast/contract';
import { selectedEngine } from '@scenecast/engine';
import { waitFor } from '@scenecast/testkit';
import { RoomServiceClient, TrackType } from 'livekit-server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { readBanner } from '../src/banner.js';

const root = join(import.meta.dirname, '..', '..', '..');
let demo: ChildProcess | undefined;
let output = '';

/** True while something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  if (demo?.pid && groupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL');
});

describe('npm start', () => {
  it('brings up the demo show, prints its URLs, and Ctrl-C stops every process', async () => {
    const engine = selectedEngine();
    const args = ['start', ...(engine === 'livekit' ? ['--engine', 'livekit'] : [])];
    demo = spawn(process.execPath, [join(root, 'scripts', 'cli.mjs'), ...args], {
      cwd: root,
      detached: true, // its own process group, as a terminal gives it
      env: {
        ...process.env,
        SCENECAST_ENGINE: '', // the flag alone chooses the engine
        // Any free ports: the banner says which.
        SFU_PORT: '0',
        TOKEN_SERVICE_PORT: '0',
        VIEWER_PORT: '0',
        CONSOLE_PORT: '0',
        DEMO_STATE_DIR: mkdtempSync(join(tmpdir(), 'demo-')),
        DEMO_FPS: '5', // the studio stays 3840x2160; fewer frames keep the test light
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    for (const stream of [demo.stdout, demo.stderr])
      stream?.on('data', (chunk) => {
        output += chunk;
      });

    await waitFor(() => output.includes('scenecast demo is live'), {
      what: `the demo's banner (output so far: ${output.slice(-800)})`,
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    const { showUrl, tokenService, engineUrl, consoleUrl } = readBanner(output)!;
    const ports = [showUrl, tokenService, engineUrl, consoleUrl].map((url) => Number(new URL(url).port));
    expect(showUrl).toBe(`http://127.0.0.1:${ports[0]}/show/demo`);
    expect(ports.every((port) => port > 0)).toBe(true);

    // The URLs work: the viewer app, the public show with its three scenes, all live from webhooks.
    const page = await fetch(showUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    // The console, and the demo brand's key it prints signs in to it.
    expect((await fetch(consoleUrl)).status).toBe(200);
    const brandKey = /demo brand's key (\S+)/.exec(output)?.[1];
    const signIn = await fetch(`${consoleUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: brandKey }),
    });
    expect(signIn.status).toBe(201);
    expect(signIn.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/i);
    const api = new ScenecastClient({ baseUrl: tokenService });
    await waitFor(
      async () => {
        const show = await api.getShow('demo');
        return show.scenes.length === 3 && show.scenes.every((scene) => scene.live);
      },
      { what: 'all three scenes live', timeoutMs: 60_000 },
    );

    // The engine sees three cameras, the studio publishing 3840x2160, and the chat moderator.
    const rooms = new RoomServiceClient(engineUrl.replace(/^ws/, 'http'), 'devkey', 'secret');
    const participants = await waitFor(
      async () => {
        const all = await rooms.listParticipants('demo');
        return all.some((p) => p.identity === moderatorIdentity) && all;
      },
      { what: 'the chat moderator in the show' },
    );
    const cameras = new Map(
      participants
        .filter((p) => p.attributes[attributes.scene])
        .map((p) => [p.attributes[attributes.scene], p]),
    );
    expect([...cameras.keys()].sort()).toEqual(['factory', 'farm', 'studio']);
    const studioTrack = cameras.get('studio')!.tracks.find((t) => t.type === TrackType.VIDEO)!;
    expect([studioTrack.width, studioTrack.height]).toEqual([3840, 2160]);

    // Ctrl-C.
    process.kill(-demo.pid!, 'SIGINT');
    const [code, signal] = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('still running 20 s after Ctrl-C')), 20_000),
      ),
    ]);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    await waitFor(() => !groupAlive(demo!.pid!), { what: 'every demo process gone', timeoutMs: 10_000 });
    for (const port of ports) expect(await listening(port), `port ${port}`).toBe(false);
  }, 360_000);
});
