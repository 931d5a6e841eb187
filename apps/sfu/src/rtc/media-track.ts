import {
  type AddTrackRequest,
  AudioTrackFeature,
  SimulcastCodecInfo,
  TrackInfo,
  TrackSource,
  TrackType,
  VideoLayer,
  VideoLayer_Mode,
  VideoQuality,
} from '@livekit/protocol';
import {
  GenericNack,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
  RTP_EXTENSION_URI,
  RtcpTransportLayerFeedback,
} from 'werift';
import { newId } from '../ids.js';
import { qualityForRid } from '../sfu/layers.js';
import { type MediaKind, TrackReceiver } from '../sfu/receiver.js';

/** The request's audio features, with its older flags folded in as LiveKit does. */
/**
 * The sync group of a track without one of its own, as livekit-server names it: a camera and its
 * microphone play in step (lip-sync), a screen share and its sound likewise.
 */
function streamFromSource(source: TrackSource): string {
  switch (source) {
    case TrackSource.CAMERA:
    case TrackSource.MICROPHONE:
      return 'camera';
    case TrackSource.SCREEN_SHARE:
    case TrackSource.SCREEN_SHARE_AUDIO:
      return 'screen';
    default:
      return 'unknown';
  }
}

function audioFeatures(request: AddTrackRequest): AudioTrackFeature[] {
  const features = new Set(request.audioFeatures);
  if (request.disableDtx) features.add(AudioTrackFeature.TF_NO_DTX);
  if (request.stereo) features.add(AudioTrackFeature.TF_STEREO);
  return [...features];
}

/**
 * A track a participant published: its signalled description (TrackInfo) and, once media arrives,
 * the receiver that fans its RTP out to subscribers.
 */
export class MediaTrack {
  readonly info: TrackInfo;
  receiver: TrackReceiver | undefined;
  /** Client track id from AddTrackRequest, matched against the msid of the incoming media. */
  readonly cid: string;

  constructor(request: AddTrackRequest) {
    this.cid = request.cid;
    const simulcastLayers = request.layers.length > 1;
    this.info = new TrackInfo({
      sid: newId('TR_'),
      type: request.type,
      name: request.name,
      muted: request.muted,
      width: request.width,
      height: request.height,
      simulcast: simulcastLayers,
      source: request.source,
      layers: request.layers.map((layer) => new VideoLayer(layer)),
      disableRed: request.disableRed,
      encryption: request.encryption,
      stream: request.stream || streamFromSource(request.source),
      audioFeatures: audioFeatures(request),
      backupCodecPolicy: request.backupCodecPolicy,
      codecs: request.simulcastCodecs
        .filter((codec) => codec.codec !== '')
        .slice(0, 1)
        .map(
          (codec) =>
            new SimulcastCodecInfo({
              mimeType: codec.codec.includes('/') ? codec.codec : `video/${codec.codec}`,
              cid: codec.cid || request.cid,
              layers: request.layers.map((layer) => new VideoLayer(layer)),
              videoLayerMode: VideoLayer_Mode.ONE_SPATIAL_LAYER_PER_STREAM,
            }),
        ),
    });
  }

  get sid(): string {
    return this.info.sid;
  }

  /** Audio or video, from the announced type: decided here once, for the receiver and every down track. */
  get kind(): MediaKind {
    return this.info.type === TrackType.AUDIO ? 'audio' : 'video';
  }

  /**
   * Whether this track's audio may go as RED (Opus with redundancy), as LiveKit decides it: wherever the
   * publisher offers it, unless the track asked for none (`disableRed`). The publisher answer keeps or
   * drops RED by this (sdp.ts), and the track is announced by it.
   */
  get takesRed(): boolean {
    return this.kind === 'audio' && !this.info.disableRed;
  }

  get published(): boolean {
    return this.receiver !== undefined;
  }

  /** Media for this track arrived on the publisher transport (one call per simulcast layer). */
  attachMedia(track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    const codec = track.codec ?? transceiver.codecs[0];
    if (!this.receiver) {
      const mimeType = codec?.mimeType ?? (this.kind === 'audio' ? 'audio/opus' : 'video/VP8');
      this.receiver = new TrackReceiver(
        this.kind,
        mimeType,
        codec?.clockRate ?? (this.kind === 'audio' ? 48000 : 90000),
        transceiver.headerExtensions.find((e) => e.uri === RTP_EXTENSION_URI.audioLevelIndication)?.id,
      );
      // Opus in RED reaches us unpacked (werift delivers the Opus); the track is announced as LiveKit
      // announces it, by the codec negotiated on the wire.
      const red = this.takesRed && transceiver.codecs[0]?.mimeType.toLowerCase() === 'audio/red';
      this.info.mimeType = red ? 'audio/red' : mimeType.toLowerCase();
      this.info.mid = transceiver.mid ?? '';
      for (const info of this.info.codecs) {
        info.mid = this.info.mid;
        info.mimeType = this.info.mimeType;
      }
      this.receiver.setMuted(this.info.muted);
    }
    const quality = this.kind === 'audio' ? VideoQuality.HIGH : qualityForRid(track.rid, this.info.layers);
    const rtpReceiver = transceiver.receiver;
    this.receiver.addLayer(quality, track, {
      sendPli: (ssrc) => rtpReceiver.sendRtcpPLI(ssrc).catch(() => undefined),
      sendNack: (ssrc, lost) => {
        const feedback = new GenericNack({ senderSsrc: rtpReceiver.rtcpSsrc, mediaSourceSsrc: ssrc, lost });
        rtpReceiver.dtlsTransport
          .sendRtcp([new RtcpTransportLayerFeedback({ feedback })])
          .catch(() => undefined);
      },
    });
  }

  /** Highest layer the publisher announced, for subscribers without size preferences. */
  get topQuality(): VideoQuality {
    const layers = this.info.layers;
    return layers.length === 0 ? VideoQuality.HIGH : Math.max(...layers.map((l) => l.quality));
  }

  close(): void {
    this.receiver?.close();
    this.receiver = undefined;
  }
}
