// One simulated viewer, behaving as the viewer app does (apps/viewer/src/live/show-room.ts): every scene
// subscribed at its lowest layer (the rail), the stage scene at the middle layer (what a desktop stage asks of
// a 4K camera), the top layer while zoomed; an action every X ± Y s, a zoom with some probability; on a lost
// connection it joins again with a fresh token. It measures what its user would see.
import { type TrackInfo, VideoQuality } from '@livekit/protocol';
import { chatAttributes, chatKinds, chatTopic, moderatorIdentity, sceneOf } from '@scenecast/contract';
import {
  Link,
  LoadSubscriber,
  type NetworkProfile,
  type TextMessage,
  VideoReceiver,
  type VideoSize,
} from '@scenecast/load-client';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { ProfileRecorder, ViewerRow } from '../metrics.js';
import { type Grant, GrantDeferred } from '../target.js';

export interface Behaviour {
  switchEvery: { meanMs: number; jitterMs: number };
  zoom: { probability: number; dwell: number };
  /** Chat messages a minute (0: none). */
  chat: number;
}

export interface ViewerOptions {
  id: number;
  profileName: string;
  profile: NetworkProfile;
  behaviour: Behaviour;
  seed: number;
  shard: string;
  grant: (name: string) => Promise<Grant>;
  recorder: ProfileRecorder;
}

/** A measurement waiting for its frame. */
interface Pending {
  metric: 'join_ms' | 'switch_first_frame_ms' | 'switch_sharp_ms' | 'zoom_2160_ms';
  trackSid: string;
  since: number;
  /** The layer height that completes it; 0: any frame. */
  height: number;
}

const joinTimeoutMs = 20_000;
/** A chat message not relayed back to its sender within this long counts as missed (refused or lost). */
const chatTimeoutMs = 10_000;
/** What a simulated viewer's chat says: who, which message, and when it was sent (ms since the epoch). */
const chatPattern = /^load (\d+)\.(\d+) (\d+)$/;
const rejoinFirstDelayMs = 1_000;
const rejoinMaxDelayMs = 15_000;

/** Mixes a run seed, a viewer and a purpose into one 32-bit seed. */
export function seedFor(seed: number, viewer: number, purpose: number): number {
  let h =
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(viewer + 1, 0xc2b2ae35) ^
    Math.imul(purpose + 7, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) | 0;
}

/**
 * A viewer's two directions of its profile, seeded by run and viewer; the outage's clock starts now. Simulated
 * and browser viewers (link-proxy.ts) get theirs here, so the same seed gives the same drops.
 */
export function linksOf(profile: NetworkProfile, seed: number, viewer: number): { down: Link; up: Link } {
  const outage = profile.outage ? { ...profile.outage, start: performance.now() } : undefined;
  return {
    down: new Link(profile.down, seedFor(seed, viewer, 1), outage),
    up: new Link(profile.up, seedFor(seed, viewer, 2), outage),
  };
}

/** The layer sizes a track's publisher announced, for a quality (the closest at or below it). */
function layerHeight(track: TrackInfo, quality: VideoQuality): number {
  const layers = [...track.layers].sort((a, b) => a.quality - b.quality);
  const at = layers.filter((l) => l.quality <= quality).at(-1) ?? layers[0];
  return at?.height ?? 0;
}

export class SimulatedViewer {
  private subscriber?: LoadSubscriber;
  private readonly random: () => number;
  /** Chat's own random stream, so chatting leaves the switching and zooming sequence as it was. */
  private readonly chatRandom: () => number;
  private chatTimer?: NodeJS.Timeout;
  private chatSeq = 0;
  /** Messages sent, not yet seen relayed back, with their timers. */
  private readonly chatPending = new Map<number, NodeJS.Timeout>();
  private stopped = false;
  private stageScene?: string;
  private zoomed = false;
  private pending: Pending[] = [];
  private actionTimer?: NodeJS.Timeout;
  private wake?: () => void;
  /** Stage time by layer height, and when the stage last showed a frame. */
  private stageLastFrame = 0;
  private stageMs = 0;
  private stageHeightMs = 0;
  private sessionMs = 0;
  private sessionStart = 0;
  private totals = { packets: 0, expected: 0, bytes: 0, freezes: 0, frozenMs: 0, disconnects: 0 };
  connected = false;

  constructor(private readonly options: ViewerOptions) {
    const rng = xoroshiro128plus(seedFor(options.seed, options.id, 0));
    rng.jump?.();
    this.random = () => uniformFloat64(rng);
    const chatRng = xoroshiro128plus(seedFor(options.seed, options.id, 3));
    this.chatRandom = () => uniformFloat64(chatRng);
  }

  get profileName(): string {
    return this.options.profileName;
  }

  /** Bytes received so far (this session and the ones before). */
  get bytes(): number {
    return this.totals.bytes + (this.subscriber?.counters().bytes ?? 0);
  }

  /** The stage picture's layer height now (0 before the first frame). */
  get stageHeight(): number {
    const sid = this.stageTrack()?.track.sid;
    return (sid && this.subscriber?.videos.get(sid)?.size?.height) || 0;
  }

  /** Runs until stop(): joins, acts, and rejoins after a lost connection. */
  async run(): Promise<void> {
    const { recorder } = this.options;
    recorder.counters.viewers++;
    let rejoinDelay = rejoinFirstDelayMs;
    let first = true;
    while (!this.stopped) {
      if (!first) recorder.counters.reconnects++;
      first = false;
      const ended = await this.session();
      if (this.stopped) break;
      if (ended === 'joined') rejoinDelay = rejoinFirstDelayMs;
      const delay =
        ended instanceof GrantDeferred ? ended.retryAfterMs : rejoinDelay * (0.75 + this.random() / 2);
      rejoinDelay = Math.min(rejoinDelay * 2, rejoinMaxDelayMs);
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** One connection, from the token request to its end; says how it ended. */
  private async session(): Promise<'joined' | 'failed' | GrantDeferred> {
    const { recorder, profile, id } = this.options;
    const since = performance.now();
    recorder.counters.joinAttempts++;
    let grant: Grant;
    try {
      grant = await this.options.grant(`load-${id}`);
    } catch (error) {
      recorder.counters.joinFailures++;
      recorder.miss('join_ms');
      recorder.error(`token: ${(error as Error).message}`);
      return error instanceof GrantDeferred ? error : 'failed';
    }
    if (this.stopped) return 'failed';
    const network = linksOf(profile, this.options.seed, id);
    let disconnected: (reason: string) => void = () => undefined;
    const ended = new Promise<string>((resolve) => {
      disconnected = resolve;
    });
    const subscriber = new LoadSubscriber(grant.url, grant.token, {
      network,
      videoReceiver: (trackSid, feedback) =>
        new VideoReceiver({
          rendered: (now, key) => this.onFrame(trackSid, now, key),
          needKeyframe: feedback.pli,
          nack: feedback.nack,
        }),
      onParticipants: () => this.applyQualities(),
      onTrack: () => this.applyQualities(),
      onDisconnected: (reason) => disconnected(reason),
      onText: (message) => this.onChat(message),
    });
    this.subscriber = subscriber;
    this.network = network;
    this.pending = [];
    this.stageScene = undefined;
    this.zoomed = false;
    try {
      await subscriber.connect(joinTimeoutMs);
    } catch (error) {
      recorder.counters.joinFailures++;
      recorder.miss('join_ms');
      recorder.error(`join: ${(error as Error).message}`);
      await this.endSession(subscriber);
      return 'failed';
    }
    this.connected = true;
    this.sessionStart = performance.now();
    this.pickStage();
    const stage = this.stageTrack();
    if (stage) this.pending.push({ metric: 'join_ms', trackSid: stage.track.sid, since, height: 0 });
    const joinTimer = setTimeout(() => this.expire('join_ms'), joinTimeoutMs);
    this.scheduleAction();
    if (this.options.behaviour.chat > 0) {
      // The chat's data channel opens with the session, as the viewer app's does (not on the first message):
      // where the show has a moderator to chat through.
      if (this.moderated())
        subscriber.openData().catch((error: Error) => recorder.error(`chat: ${error.message}`));
      this.scheduleChat();
    }
    const stop = new Promise<string>((resolve) => {
      this.stopSession = () => resolve('stopped');
    });
    const reason = await Promise.race([ended, stop]);
    clearTimeout(joinTimer);
    if (reason !== 'stopped') {
      recorder.error(`disconnected: ${reason}`);
      recorder.counters.disconnects++;
      this.totals.disconnects++;
    }
    await this.endSession(subscriber);
    return 'joined';
  }

  private stopSession?: () => void;
  private network?: { down: Link; up: Link };

  private expire(metric: Pending['metric']): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => p.metric !== metric);
    for (let i = this.pending.length; i < before; i++) this.options.recorder.miss(metric);
  }

  /** Folds a finished connection into the viewer's totals. */
  private async endSession(subscriber: LoadSubscriber): Promise<void> {
    clearTimeout(this.actionTimer);
    clearTimeout(this.chatTimer);
    // Messages still under way when the session ends are neither delivered nor missed.
    for (const timer of this.chatPending.values()) clearTimeout(timer);
    this.chatPending.clear();
    this.connected = false;
    const now = performance.now();
    const { recorder } = this.options;
    for (const p of this.pending) recorder.miss(p.metric);
    this.pending = [];
    this.countStage(now);
    const counters = subscriber.counters();
    let freezes = 0;
    let frozenMs = 0;
    for (const video of subscriber.videos.values()) {
      video.finish(now);
      freezes += video.stalls.freezes;
      frozenMs += video.stalls.frozenMs;
      recorder.counters.watchedMs += video.watchedMs(now);
    }
    const down = this.network?.down.stats;
    if (down) {
      recorder.counters.networkSent += down.sent;
      recorder.counters.networkDropped +=
        down.lostRandom + down.lostBurst + down.droppedQueue + down.droppedOutage;
    }
    Object.assign(recorder.counters, {
      packets: recorder.counters.packets + counters.packets,
      expected: recorder.counters.expected + counters.expected,
      bytes: recorder.counters.bytes + counters.bytes,
      nacks: recorder.counters.nacks + subscriber.nacks,
      plis: recorder.counters.plis + subscriber.plis,
      freezes: recorder.counters.freezes + freezes,
      frozenMs: recorder.counters.frozenMs + frozenMs,
    });
    this.totals.packets += counters.packets;
    this.totals.expected += counters.expected;
    this.totals.bytes += counters.bytes;
    this.totals.freezes += freezes;
    this.totals.frozenMs += frozenMs;
    if (this.sessionStart > 0) this.sessionMs += now - this.sessionStart;
    this.sessionStart = 0;
    this.subscriber = undefined;
    await subscriber.close();
  }

  /** The scenes with a live camera track, and that track. */
  private scenes() {
    const scenes = new Map<string, { track: TrackInfo }>();
    for (const { participant, track } of this.subscriber?.videoTracks() ?? []) {
      const scene = sceneOf(participant);
      if (scene && !scenes.has(scene)) scenes.set(scene, { track });
    }
    return scenes;
  }

  private stageTrack() {
    return this.stageScene ? this.scenes().get(this.stageScene) : undefined;
  }

  private pickStage(): void {
    const names = [...this.scenes().keys()].sort();
    if (names.length === 0) return;
    this.stageScene = names[Math.floor(this.random() * names.length)];
    this.applyQualities();
  }

  /** As the viewer app: the rail at the lowest layer, the stage at its layer, the top one when zoomed. */
  private applyQualities(): void {
    const subscriber = this.subscriber;
    if (!subscriber) return;
    if (!this.stageScene) {
      this.pickStage();
      return;
    }
    const rail: string[] = [];
    for (const [scene, { track }] of this.scenes()) {
      if (scene !== this.stageScene) rail.push(track.sid);
      else subscriber.setQuality([track.sid], this.zoomed ? VideoQuality.HIGH : VideoQuality.MEDIUM);
    }
    subscriber.setQuality(rail, VideoQuality.LOW);
  }

  private scheduleAction(): void {
    const { meanMs, jitterMs } = this.options.behaviour.switchEvery;
    const delay = Math.max(100, meanMs + (this.random() * 2 - 1) * jitterMs);
    clearTimeout(this.actionTimer);
    this.actionTimer = setTimeout(() => this.act(), delay);
  }

  private act(): void {
    if (!this.subscriber || this.stopped) return;
    const { recorder, behaviour } = this.options;
    // The previous action's measurements that never completed count as missed.
    for (const p of this.pending) if (p.metric !== 'join_ms') recorder.miss(p.metric);
    this.pending = this.pending.filter((p) => p.metric === 'join_ms');
    const scenes = this.scenes();
    const now = performance.now();
    if (this.random() < behaviour.zoom.probability && this.stageScene && scenes.has(this.stageScene)) {
      const { track } = scenes.get(this.stageScene)!;
      recorder.counters.zooms++;
      this.zoomed = true;
      this.pending.push({
        metric: 'zoom_2160_ms',
        trackSid: track.sid,
        since: now,
        height: layerHeight(track, VideoQuality.HIGH),
      });
      this.applyQualities();
      clearTimeout(this.actionTimer);
      this.actionTimer = setTimeout(() => {
        this.zoomed = false;
        this.applyQualities();
        this.scheduleAction();
      }, behaviour.zoom.dwell);
      return;
    }
    const others = [...scenes.keys()].filter((s) => s !== this.stageScene).sort();
    if (others.length > 0) {
      const scene = others[Math.floor(this.random() * others.length)]!;
      const { track } = scenes.get(scene)!;
      this.countStage(now);
      this.stageScene = scene;
      this.zoomed = false;
      recorder.counters.switches++;
      this.pending.push(
        { metric: 'switch_first_frame_ms', trackSid: track.sid, since: now, height: 0 },
        {
          metric: 'switch_sharp_ms',
          trackSid: track.sid,
          since: now,
          height: layerHeight(track, VideoQuality.MEDIUM),
        },
      );
      this.applyQualities();
    }
    this.scheduleAction();
  }

  /** The next chat message after a uniform 0.5–1.5 × the mean interval (so viewers do not chat in step). */
  private scheduleChat(): void {
    const perMinute = this.options.behaviour.chat;
    if (perMinute <= 0) return;
    clearTimeout(this.chatTimer);
    this.chatTimer = setTimeout(() => this.chat(), (60_000 / perMinute) * (0.5 + this.chatRandom()));
  }

  /**
   * Sends one message as the viewer app's chat does: a text stream on the chat topic to the moderator only,
   * which relays it to everyone. Like the app, nothing is sent while the show has no moderator.
   */
  private chat(): void {
    const subscriber = this.subscriber;
    if (!subscriber || this.stopped) return;
    this.scheduleChat();
    if (!this.moderated()) return;
    const { recorder, id } = this.options;
    const seq = ++this.chatSeq;
    // (Sent at once: the data channel opened with the session; a message while it is still opening waits.)
    recorder.counters.chatSent++;
    this.chatPending.set(
      seq,
      setTimeout(() => {
        this.chatPending.delete(seq);
        recorder.miss('chat_ms');
      }, chatTimeoutMs),
    );
    subscriber
      .sendText(`load ${id}.${seq} ${Date.now()}`, {
        topic: chatTopic,
        destinationIdentities: [moderatorIdentity],
      })
      .catch((error: Error) => recorder.error(`chat: ${error.message}`));
  }

  private moderated(): boolean {
    return [...(this.subscriber?.participants.values() ?? [])].some((p) => p.identity === moderatorIdentity);
  }

  /** What the moderator relays: another viewer's message is timed; this viewer's own one is delivered. */
  private onChat(message: TextMessage): void {
    if (message.topic !== chatTopic || message.from !== moderatorIdentity) return;
    const { recorder } = this.options;
    const mine = message.attributes[chatAttributes.from] === this.subscriber?.identity;
    switch (message.attributes[chatAttributes.kind]) {
      case chatKinds.message: {
        const [, viewer, seq, sentAt] = chatPattern.exec(message.text) ?? [];
        if (!viewer) return; // a person's message, or the host's
        if (mine) {
          clearTimeout(this.chatPending.get(Number(seq)));
          this.chatPending.delete(Number(seq));
        } else recorder.record('chat_ms', Date.now() - Number(sentAt));
        return;
      }
      case chatKinds.refused:
        if (mine) recorder.counters.chatRefused++;
        return;
      case chatKinds.muted:
        if (mine) recorder.counters.chatMuted++;
        return;
    }
  }

  /** Adds the stage's time since its last frame to the layer it was at. */
  private countStage(now: number): void {
    if (this.stageLastFrame > 0) {
      const ms = now - this.stageLastFrame;
      const height = this.stageHeight;
      const byHeight = this.options.recorder.stageMsByHeight;
      byHeight.set(height, (byHeight.get(height) ?? 0) + ms);
      this.stageMs += ms;
      this.stageHeightMs += height * ms;
      const stage = this.stageTrack();
      const top = stage ? layerHeight(stage.track, VideoQuality.HIGH) : 0;
      this.options.recorder.counters.stageMs += ms;
      if (top > 0 && height >= top) this.options.recorder.counters.stageTopMs += ms;
    }
    this.stageLastFrame = 0;
  }

  private onFrame(trackSid: string, now: number, _key: VideoSize | undefined): void {
    const stage = this.stageTrack();
    if (stage?.track.sid === trackSid) {
      if (this.stageLastFrame > 0) this.countStage(now);
      this.stageLastFrame = now;
    }
    if (this.pending.length === 0) return;
    const height = this.subscriber?.videos.get(trackSid)?.size?.height ?? 0;
    const { recorder } = this.options;
    this.pending = this.pending.filter((p) => {
      if (p.trackSid !== trackSid || height < p.height) return true;
      recorder.record(p.metric, now - p.since);
      return false;
    });
  }

  /** Ends the viewer's run (leaves the room); resolves when its last session is folded in. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.stopSession?.();
  }

  /** The viewer's row in the report (after run() has returned). */
  row(): ViewerRow {
    const { totals } = this;
    return {
      id: this.options.id,
      profile: this.options.profileName,
      shard: this.options.shard,
      kbps: this.sessionMs > 0 ? (totals.bytes * 8) / this.sessionMs : 0,
      lossRatio: totals.expected > 0 ? Math.max(0, totals.expected - totals.packets) / totals.expected : 0,
      freezes: totals.freezes,
      frozenMs: Math.round(totals.frozenMs),
      stageHeight: this.stageMs > 0 ? Math.round(this.stageHeightMs / this.stageMs) : 0,
      disconnects: totals.disconnects,
    };
  }
}
