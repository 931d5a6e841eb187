// WHIP ingest (`/whip/v1`) with an independent client, @eyevinn/whip-web-client in Chromium: the encoder is
// a participant like any camera for a LiveKit subscriber and RoomService; refusals say why; a burst of
// malformed requests leaves a running ingest flowing. Both engines (livekit-server answers WHIP natively).
import { TrackSource as ProtoTrackSource, TrackType } from '@livekit/protocol';
import { Room } from '@livekit/rtc-node';
import { type RunningEngine, startEngine } from '@scenecast/engine';
import {
  type CandidateListener,
  countVideoFrames,
  type FrameCounter,
  listenForChecks,
  participantToken,
  patchWhipSession,
  publishWhipFromChromium,
  trickleFragment,
  trickleOffer,
  type WhipPublisher,
  waitFor,
} from '@scenecast/testkit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let engine: RunningEngine;
let api: RoomServiceClient;
let whip: string;
const joined: Room[] = [];
let viewers = 0;

beforeAll(async () => {
  engine = await startEngine();
  api = new RoomServiceClient(engine.httpUrl, engine.apiKey, engine.apiSecret);
  whip = `${engine.httpUrl}/whip/v1`;
});
afterAll(async () => {
  for (const r of joined) await r.disconnect().catch(() => undefined);
  await engine?.close();
});

/** A viewer in the room that counts the video frames it decodes from `identity`. */
async function watch(room: string, identity: string): Promise<FrameCounter> {
  const r = new Room();
  joined.push(r);
  const counter = countVideoFrames(r, identity);
  viewers += 1;
  await r.connect(engine.url, await participantToken(room, `viewer-${viewers}`, { canPublish: false }), {
    autoSubscribe: true,
    dynacast: false,
  });
  return counter;
}

async function framesFlow(counter: { frames: number }, what: string): Promise<void> {
  const start = counter.frames;
  await waitFor(() => counter.frames >= start + 10, { timeoutMs: 20_000, what });
}

const post = (body: string, headers: Record<string, string>) =>
  fetch(whip, { method: 'POST', headers: { 'content-type': 'application/sdp', ...headers }, body });

/** A syntactically complete offer sending video in a codec neither engine forwards (MPEG-4 Part 2). */
const unsupportedOffer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 120',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendonly',
  'a=rtcp-mux',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'a=rtpmap:120 MP4V-ES/90000',
  '',
].join('\r\n');

describe('WHIP ingest', () => {
  let publisher: WhipPublisher | undefined;
  afterAll(async () => publisher?.stop());

  it('publishes an encoder as a camera and a microphone that a LiveKit viewer receives and RoomService lists', async () => {
    const viewer = await watch('whip-show', 'encoder');
    publisher = await publishWhipFromChromium({
      endpoint: whip,
      token: await participantToken('whip-show', 'encoder', { canSubscribe: false }),
      width: 640,
      height: 360,
    });
    expect(new URL(publisher.resourceUrl).pathname).toMatch(/^\/whip\/v1\/PA_\w+$/);
    await framesFlow(viewer, 'the encoder’s frames at the viewer');
    expect(viewer.width).toBe(640);
    // The client trickled its candidates (If-Match: the session's ETag), each answered 204.
    const patches = await publisher.patchStatuses();
    expect(patches.length).toBeGreaterThan(0);
    // livekit-server takes a fragment of one media section (the bundle's); this client writes one per section: 400.
    expect(new Set(patches)).toEqual(new Set([engine.engine === 'embedded' ? 204 : 400]));
    const [encoder] = await api
      .listParticipants('whip-show')
      .then((all) => all.filter((p) => p.identity === 'encoder'));
    expect(new URL(publisher.resourceUrl).pathname).toBe(`/whip/v1/${encoder?.sid}`);
    const tracks = encoder?.tracks.map((t) => [t.type, t.source]) ?? [];
    expect(tracks).toEqual(
      expect.arrayContaining([
        [TrackType.VIDEO, ProtoTrackSource.CAMERA],
        [TrackType.AUDIO, ProtoTrackSource.MICROPHONE],
      ]),
    );
  });

  it('stays up under a burst of 1,000 malformed WHIP requests, and the running ingest keeps flowing', async () => {
    const viewer = await watch('whip-show', 'encoder');
    await framesFlow(viewer, 'frames before the burst');
    const valid = await participantToken('whip-show', 'fuzzer');
    const garbage = (i: number): Promise<Response> => {
      switch (i % 8) {
        case 0:
          return post('v=0\r\nthis is not sdp', { authorization: `Bearer ${valid}` });
        case 1:
          return post(unsupportedOffer.slice(0, (i * 7) % unsupportedOffer.length), {
            authorization: `Bearer ${valid}`,
          });
        case 2:
          return post(unsupportedOffer, { authorization: 'Bearer not.a.token' });
        case 3:
          return fetch(whip, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', authorization: `Bearer ${valid}` },
            body: 'x',
          });
        case 4:
          return post('', { authorization: `Bearer ${valid}` });
        case 5:
          return fetch(`${whip}/PA_${i}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${valid}` },
          });
        case 6:
          return fetch(`${whip}/PA_${i}`, {
            method: 'PATCH',
            headers: {
              'content-type': 'application/trickle-ice-sdpfrag',
              'if-match': 'x',
              authorization: `Bearer ${valid}`,
            },
            body: 'a=candidate:garbage',
          });
        default:
          return post(
            Buffer.from(Array.from({ length: 200 }, (_, k) => (i * 31 + k) % 256)).toString('latin1'),
            {
              authorization: `Bearer ${valid}`,
            },
          );
      }
    };
    const statuses: string[] = [];
    for (let batch = 0; batch < 1000; batch += 50) {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, k) => garbage(batch + k)));
      for (const [k, answer] of answers.entries()) {
        statuses.push(`${(batch + k) % 8}:${answer.status}:${(await answer.text()).slice(0, 80)}`);
      }
    }
    expect(statuses).toHaveLength(1000);
    // Ours refuses each with a 4xx and its reason; livekit-server answers some with 5xx (a failed
    // SetRemoteDescription is its 503) and an unknown session's DELETE with 200 — it too stays up.
    if (engine.engine === 'embedded')
      expect([...new Set(statuses.filter((s) => !/^\d:4\d\d:/.test(s)))]).toEqual([]);
    await framesFlow(viewer, 'frames after the burst');
    const identities = (await api.listParticipants('whip-show')).map((p) => p.identity).sort();
    // livekit-server keeps the participant of an offer it failed to answer ("fuzzer"); ours admits none.
    if (engine.engine === 'embedded') expect(identities).toEqual(['encoder', 'viewer-1', 'viewer-2']);
    else expect(identities).toEqual(expect.arrayContaining(['encoder', 'viewer-1', 'viewer-2']));
  });

  it('ends the session on DELETE: the encoder leaves the room', async () => {
    await publisher?.stop();
    publisher = undefined;
    await waitFor(
      async () => !(await api.listParticipants('whip-show')).some((p) => p.identity === 'encoder'),
      { what: 'the encoder gone after DELETE' },
    );
  });

  it('publishes a simulcast encoder (rids q/h/f) as one camera with three layers', async () => {
    const viewer = await watch('whip-simulcast', 'encoder');
    const simulcast = await publishWhipFromChromium({
      endpoint: whip,
      token: await participantToken('whip-simulcast', 'encoder'),
      simulcast: true,
      width: 1280,
      height: 720,
    });
    try {
      await framesFlow(viewer, 'simulcast frames at the viewer');
      const encoder = await api.getParticipant('whip-simulcast', 'encoder');
      const video = encoder.tracks.find((t) => t.type === TrackType.VIDEO);
      expect(video?.layers.map((l) => l.quality).sort()).toEqual([0, 1, 2]);
    } finally {
      await simulcast.stop();
    }
  });

  it('publishes H.264 (what OBS sends), forwarded as H.264', async () => {
    const viewer = await watch('whip-h264', 'encoder');
    const h264 = await publishWhipFromChromium({
      endpoint: whip,
      token: await participantToken('whip-h264', 'encoder'),
      codec: 'h264',
      width: 640,
      height: 360,
    });
    try {
      await framesFlow(viewer, 'H.264 frames at the viewer');
      const encoder = await api.getParticipant('whip-h264', 'encoder');
      expect(encoder.tracks.find((t) => t.type === TrackType.VIDEO)?.mimeType.toLowerCase()).toBe(
        'video/h264',
      );
    } finally {
      await h264.stop();
    }
  });
});

describe('WHIP refusals', () => {
  async function refusal(response: Response): Promise<{ status: number; error: string }> {
    const text = await response.text();
    let error = text;
    try {
      error = (JSON.parse(text) as { error: string }).error;
    } catch {
      // livekit-server's auth middleware answers in plain text
    }
    return { status: response.status, error };
  }

  it('refuses a missing, a malformed and a foreign token with 401', async () => {
    expect((await post(unsupportedOffer, {})).status).toBe(401);
    expect((await post(unsupportedOffer, { authorization: 'Bearer nonsense' })).status).toBe(401);
    const foreign = await participantToken('whip-refusals', 'x', {}, { secret: 'not-the-secret' });
    expect((await post(unsupportedOffer, { authorization: `Bearer ${foreign}` })).status).toBe(401);
    const noJoin = await participantToken('whip-refusals', 'x', { roomJoin: false });
    expect((await post(unsupportedOffer, { authorization: `Bearer ${noJoin}` })).status).toBe(401);
  });

  it('refuses a wrong content type, an empty body and a malformed offer with 400 and a reason', async () => {
    const token = await participantToken('whip-refusals', 'encoder');
    const wrongType = await refusal(
      await fetch(whip, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
        body: 'v=0',
      }),
    );
    expect(wrongType).toEqual({ status: 400, error: 'unsupported content-type: text/plain' });
    const empty = await refusal(await post('', { authorization: `Bearer ${token}` }));
    expect(empty).toEqual({ status: 400, error: 'body does not have SDP offer' });
    const malformed = await refusal(await post('hello', { authorization: `Bearer ${token}` }));
    expect(malformed.status).toBe(400);
    expect(malformed.error).toMatch(/^malformed SDP offer/);
    expect((await api.listRooms(['whip-refusals'])).flatMap((r) => r.numParticipants)).toEqual(
      (await api.listRooms(['whip-refusals'])).map(() => 0),
    );
  });

  it('refuses an offer in a codec the engine does not forward, and publishes nothing', async () => {
    const token = await participantToken('whip-refusals', 'encoder');
    const answer = await refusal(await post(unsupportedOffer, { authorization: `Bearer ${token}` }));
    if (engine.engine === 'embedded')
      expect(answer.error).toMatch(/^unsupported codec: the video section offers video\/MP4V-ES/);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.error).not.toBe('');
    const participants = await api.listParticipants('whip-refusals').catch(() => []);
    expect(participants.filter((p) => p.tracks.length > 0)).toEqual([]);
  });

  it('takes H.264 of a forwarded profile at another level or with other constraint flags, answered in ours', async () => {
    // GStreamer's x264 offers Constrained Baseline as 42c01f (browsers write 42e01f); a 4K encoder, level 5.1.
    for (const profileLevelId of ['42c01f', '42e033']) {
      const offer = trickleOffer
        .replace('SAVPF 96', 'SAVPF 102')
        .replace(
          'a=rtpmap:96 VP8/90000',
          `a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profileLevelId}`,
        );
      const token = await participantToken('whip-h264', `encoder-${profileLevelId}`);
      const created = await post(offer, { authorization: `Bearer ${token}` });
      expect(created.status, `${profileLevelId}: ${await created.clone().text()}`).toBe(201);
      const answer = await created.text();
      expect(answer).toMatch(/a=rtpmap:102 H264\/90000/i);
      if (engine.engine === 'embedded') expect(answer).toMatch(/profile-level-id=42e01f/);
      const resource = new URL(created.headers.get('location')!, whip).toString();
      await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    }
  });

  it('refuses a token that may not publish', async () => {
    const token = await participantToken('whip-refusals', 'watcher', { canPublish: false });
    const viewer = await watch('whip-refusals', 'watcher');
    const answer = await refusal(await post(unsupportedOffer, { authorization: `Bearer ${token}` }));
    // livekit-server admits the participant and fails on its first track: 503 with that reason.
    expect(answer.status).toBe(engine.engine === 'embedded' ? 403 : 503);
    expect(answer.error).not.toBe('');
    expect(viewer.frames).toBe(0);
  });
});

describe('WHIP trickle ICE (PATCH, RFC 9725 §4.3)', () => {
  let token: string;
  let resource: string;
  let etag: string;
  const listeners: CandidateListener[] = [];
  afterAll(() => {
    for (const l of listeners) l.close();
  });
  const patch = (body: string, headers: Record<string, string>) =>
    patchWhipSession(resource, token, body, headers);
  const candidateSocket = async () => {
    const listener = await listenForChecks();
    listeners.push(listener);
    return listener;
  };

  beforeAll(async () => {
    token = await participantToken('whip-trickle', 'encoder');
    const created = await post(trickleOffer, { authorization: `Bearer ${token}` });
    expect(created.status, await created.clone().text()).toBe(201);
    resource = new URL(created.headers.get('location')!, whip).toString();
    etag = created.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
  });

  it('answers a PATCH whose If-Match is the session’s ETag with 204, and the candidate reaches the session', async () => {
    const socket = await candidateSocket();
    const answer = await patch(trickleFragment([socket.candidate]), { 'if-match': etag });
    expect(answer.status).toBe(204);
    expect(await answer.text()).toBe('');
    expect(answer.headers.get('etag')).toBeNull(); // §4.3.2: a trickle's answer carries no ETag
    // The engine now runs ICE connectivity checks against the trickled candidate.
    await waitFor(() => socket.checks > 0, { what: 'a STUN check at the trickled candidate' });
  });

  it('refuses a PATCH without If-Match with 428', async () => {
    const answer = await patch(trickleFragment([(await candidateSocket()).candidate]), {});
    expect(answer.status).toBe(428);
  });

  it('refuses another session’s entity tag with 412, and uses none of its candidates', async () => {
    const socket = await candidateSocket();
    const answer = await patch(trickleFragment([socket.candidate]), { 'if-match': '"another-session"' });
    // livekit-server compares them, but answers a mismatch with 500 ("ice session mismatch").
    if (engine.engine !== 'embedded') return expect(answer.status).toBe(500);
    expect(answer.status).toBe(412);
    expect(((await answer.json()) as { error: string }).error).toMatch(/If-Match/);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(socket.checks).toBe(0);
  });

  it('refuses a malformed fragment with 400 and a reason, and changes nothing', async () => {
    const socket = await candidateSocket();
    const malformed = `${trickleFragment([socket.candidate])}this is not SDP\r\n`;
    const answer = await patch(malformed, { 'if-match': etag });
    const badCandidate = await patch(trickleFragment(['candidate:garbage']), { 'if-match': etag });
    // livekit-server skips the lines it cannot read and drops a candidate it cannot parse: 204 for both.
    if (engine.engine !== 'embedded') expect([answer.status, badCandidate.status]).toEqual([204, 204]);
    else {
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toMatch(
        /^malformed SDP fragment: line 6 is not an SDP line/,
      );
      expect(badCandidate.status).toBe(400);
      expect(((await badCandidate.json()) as { error: string }).error).toMatch(/invalid candidate/);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(socket.checks).toBe(0);
    }
    // The session is as it was: its ETag still trickles.
    const again = await patch(trickleFragment([(await candidateSocket()).candidate]), { 'if-match': etag });
    expect(again.status).toBe(204);
  });

  it('answers an ICE restart (If-Match: *, new credentials) with 422: not supported, POST again', async () => {
    const restart = trickleFragment([(await candidateSocket()).candidate], {
      ufrag: 'restartufrag',
      pwd: 'restartpasswordrestartpw',
    });
    const answer = await patch(restart, { 'if-match': '*' });
    // livekit-server restarts ICE: 200 and its answer fragment.
    if (engine.engine !== 'embedded') return expect(answer.status).toBe(200);
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { error: string }).error).toMatch(/ICE restart is not supported/);
    const again = await patch(trickleFragment([(await candidateSocket()).candidate]), { 'if-match': etag });
    expect(again.status).toBe(204);
  });
});
