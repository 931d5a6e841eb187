import type { RemoteAudioTrack } from 'livekit-client';

/** One scene's microphone: the host's voice (a studio) or the scene's ambience. */
export interface SceneAudio {
  sceneId: string;
  participantIdentity: string;
  trackSid: string;
  track: RemoteAudioTrack;
}

export interface AudioState {
  /** The browser lets this page play sound (a tap has happened); until then, "Tap for sound". */
  canPlay: boolean;
  muted: boolean;
  /** 0–1. */
  volume: number;
  /** The engine says the host is speaking (LiveKit's active-speaker updates). */
  hostSpeaking: boolean;
}

/** Ambience sits under the host's voice. */
export const ambienceGain = 0.5;
/** Time constant of the crossfade between scenes' ambience (s): settled after about 4 of them. */
const crossfadeSeconds = 0.1;

interface Channel {
  trackSid: string;
  sceneId: string;
  participantIdentity: string;
  source: MediaStreamAudioSourceNode;
  gain: GainNode;
  /** Chrome feeds a remote WebRTC stream into Web Audio only while a media element plays it (muted). */
  element: HTMLAudioElement;
}

/**
 * The show's sound, mixed in Web Audio: every host voice always at full level, the stage scene's
 * ambience under it (crossfading on a switch, so switching never touches the voice), then the
 * viewer's volume and mute, then an analyser (`output`) just before the speakers. Outside React; read
 * through `subscribe`/`state` (useSyncExternalStore).
 */
export class ShowAudio {
  readonly context = new AudioContext();
  private readonly master = this.context.createGain();
  /** The played output: what reaches the speakers, for meters and tests. */
  readonly output = this.context.createAnalyser();
  private channels = new Map<string, Channel>();
  private voices = new Set<string>();
  private stageSceneId: string | undefined;
  private speaking = new Set<string>();
  private listeners = new Set<() => void>();
  private snapshot: AudioState = { canPlay: false, muted: false, volume: 1, hostSpeaking: false };

  constructor(private readonly roomCanPlay: () => boolean) {
    this.output.fftSize = 8192;
    this.master.connect(this.output).connect(this.context.destination);
    this.context.addEventListener('statechange', () => this.update());
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state = (): AudioState => this.snapshot;

  /** Which scenes carry the host's voice (the studio kind), heard whatever the stage shows. */
  setVoices(sceneIds: Iterable<string>): void {
    this.voices = new Set(sceneIds);
    this.applyGains();
  }

  setStage(sceneId: string | undefined): void {
    if (sceneId === this.stageSceneId) return;
    this.stageSceneId = sceneId;
    this.applyGains();
  }

  setMuted(muted: boolean): void {
    this.snapshot = { ...this.snapshot, muted };
    this.applyMaster();
  }

  setVolume(volume: number): void {
    if (!Number.isFinite(volume)) return;
    this.snapshot = { ...this.snapshot, volume: Math.min(1, Math.max(0, volume)) };
    this.applyMaster();
  }

  /** LiveKit's active speakers, by participant identity. */
  setSpeakers(identities: Iterable<string>): void {
    this.speaking = new Set(identities);
    this.update();
  }

  /** Brings the mix in line with the subscribed microphone tracks. */
  sync(audio: SceneAudio[]): void {
    const wanted = new Map(audio.map((a) => [a.trackSid, a]));
    for (const [sid, channel] of this.channels) {
      if (wanted.has(sid)) continue;
      channel.source.disconnect();
      channel.gain.disconnect();
      channel.element.srcObject = null;
      this.channels.delete(sid);
    }
    for (const [sid, a] of wanted) {
      if (this.channels.has(sid)) continue;
      const stream = new MediaStream([a.track.mediaStreamTrack]);
      const element = new Audio();
      element.muted = true;
      element.srcObject = stream;
      void element.play().catch(() => undefined);
      const source = this.context.createMediaStreamSource(stream);
      const gain = this.context.createGain();
      gain.gain.value = this.targetGain(a.sceneId);
      source.connect(gain).connect(this.master);
      this.channels.set(sid, {
        trackSid: sid,
        sceneId: a.sceneId,
        participantIdentity: a.participantIdentity,
        source,
        gain,
        element,
      });
    }
    this.update();
  }

  private targetGain(sceneId: string): number {
    if (this.voices.has(sceneId)) return 1;
    return sceneId === this.stageSceneId ? ambienceGain : 0;
  }

  private applyGains(): void {
    const now = this.context.currentTime;
    for (const channel of this.channels.values())
      channel.gain.gain.setTargetAtTime(this.targetGain(channel.sceneId), now, crossfadeSeconds);
  }

  private applyMaster(): void {
    const level = this.snapshot.muted ? 0 : this.snapshot.volume;
    this.master.gain.setTargetAtTime(level, this.context.currentTime, 0.02);
    this.update();
  }

  /** Recomputes the snapshot and tells React when anything it shows changed. */
  update(): void {
    const hostSpeaking = [...this.channels.values()].some(
      (c) => this.voices.has(c.sceneId) && this.speaking.has(c.participantIdentity),
    );
    const canPlay = this.context.state === 'running' && this.roomCanPlay();
    // A new snapshot only when something changed: useSyncExternalStore compares by identity.
    if (this.snapshot.canPlay !== canPlay || this.snapshot.hostSpeaking !== hostSpeaking)
      this.snapshot = { ...this.snapshot, canPlay, hostSpeaking };
    for (const listener of this.listeners) listener();
  }
}
