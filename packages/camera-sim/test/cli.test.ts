// The scenecast-camera command as an operator runs it (the built dist/cli.js, which `npm test` builds first).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Room, TrackKind } from '@livekit/rtc-node';
import { attributes, roles } from '@scenecast/contract';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import { participantToken, waitFor } from '@scenecast/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
let engine: RunningEngine;

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  await engine?.close();
});

function run(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LOG_LEVEL: 'info' } });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => output };
}

describe('scenecast-camera', () => {
  it('publishes until SIGTERM, then unpublishes, leaves and exits 0', async () => {
    const show = 'cli-show';
    const camera = run([
      '--scene',
      'factory',
      '--show',
      show,
      '--url',
      engine.url,
      '--width',
      '640',
      '--height',
      '360',
    ]);
    const viewer = new Room();
    await viewer.connect(engine.url, await participantToken(show, 'cli-viewer', { canPublish: false }));
    try {
      // The camera publishes its picture and its sound (the factory's pilot tone).
      const kinds = () =>
        [...(viewer.remoteParticipants.get('camera-factory')?.trackPublications.values() ?? [])]
          .map((publication) => (publication.kind === TrackKind.KIND_VIDEO ? 'video' : 'audio'))
          .sort()
          .join(',');
      await waitFor(() => kinds() === 'audio,video', {
        what: "the camera's video and audio tracks",
        timeoutMs: 30_000,
      }).catch((error: Error) => {
        throw new Error(`${error.message} (${kinds()}); the camera printed: ${camera.output().slice(-500)}`);
      });
      // Its own token carries the token service's feed grant: the scene, the feed, the role.
      expect(viewer.remoteParticipants.get('camera-factory')!.attributes).toEqual({
        [attributes.scene]: 'factory',
        [attributes.feed]: 'camera-factory',
        [attributes.role]: roles.camera,
      });
      camera.child.kill('SIGTERM');
      const [code] = await camera.exited;
      expect(code).toBe(0);
      expect(camera.output()).toContain('camera stopped');
      await waitFor(() => !viewer.remoteParticipants.has('camera-factory'), {
        what: 'the camera leaving the room',
        timeoutMs: 5000,
      });
    } finally {
      camera.child.kill('SIGKILL');
      await viewer.disconnect();
    }
  });

  it('refuses bad options with the usage and exit code 2, connecting nowhere', async () => {
    for (const args of [
      [],
      ['--scene', 'farm', '--fps', 'fast'],
      ['--scene', 'farm', '--feed', 'f1', '--brand-key', ''],
      ['--scene', 'farm', '--noise', '0.9', '--url', 'ws://127.0.0.1:9'],
      ['--scene', 'farm', '--width', '641', '--url', 'ws://127.0.0.1:9'],
    ]) {
      const camera = run(args);
      const [code] = await camera.exited;
      expect(code, `args ${args.join(' ')}`).toBe(2);
      expect(camera.output()).toMatch(/usage|--feed needs/);
      expect(camera.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
  });

  it('renders a snapshot without LiveKit', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'camera-')), 'farm.png');
    const camera = run(['--scene', 'farm', '--width', '1280', '--height', '720', '--snapshot', file]);
    const [code] = await camera.exited;
    expect(code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280); // IHDR width
    expect(png.readUInt32BE(20)).toBe(720);
  });
});
