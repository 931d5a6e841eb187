import { gunzipSync } from 'node:zlib';
import {
  JoinRequest,
  type SessionDescription,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';
import { SfuError } from '../errors.js';
import { maxSignalFrameBytes } from './signal-connection.js';

/** What a client asks for when it opens its signalling socket, whichever path it came by. */
export interface JoinParams {
  /** `/rtc/v1`: one peer connection, offered by the client, carrying media both ways. */
  singlePeerConnection: boolean;
  /** Resume the session `sid` after a dropped socket. */
  reconnect: boolean;
  sid: string | undefined;
  autoSubscribe: boolean;
  adaptiveStream: boolean;
  /** The client lets the SFU pause video it has no bandwidth for (`subscriber_allow_pause`, default yes). */
  subscriberAllowPause: boolean;
  /** `/rtc/v1` only: the client's first publisher offer, answered right after the join. */
  publisherOffer: SessionDescription | undefined;
}

/**
 * The join as `/rtc` (v0: query parameters) or `/rtc/v1` (a `join_request` parameter: base64url of a
 * WrappedJoinRequest, its JoinRequest optionally gzipped) carries it. A join request that cannot be
 * decoded is the client's error (400), as on LiveKit.
 */
export function parseJoin(url: URL): JoinParams {
  const params = url.searchParams;
  if (!isV1(url)) {
    return {
      singlePeerConnection: false,
      reconnect: params.get('reconnect') === '1',
      sid: params.get('sid') ?? undefined,
      autoSubscribe: params.get('auto_subscribe') !== '0',
      adaptiveStream: params.get('adaptive_stream') === '1',
      subscriberAllowPause: params.get('subscriber_allow_pause') !== '0',
      publisherOffer: undefined,
    };
  }
  const encoded = params.get('join_request');
  if (!encoded) throw new SfuError('malformed', 'join_request is required');
  // Node's decoder skips what is not base64 and would turn garbage into an empty, "valid" request.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded))
    throw new SfuError('malformed', 'join_request is not base64');
  let join: JoinRequest;
  try {
    // Node's base64 decoder takes the URL-safe alphabet the SDKs use, with or without padding.
    const wrapped = WrappedJoinRequest.fromBinary(Buffer.from(encoded, 'base64'));
    const bytes =
      wrapped.compression === WrappedJoinRequest_Compression.GZIP
        ? gunzipSync(wrapped.joinRequest, { maxOutputLength: maxSignalFrameBytes })
        : wrapped.joinRequest;
    if (bytes.length === 0) throw new Error('empty');
    join = JoinRequest.fromBinary(bytes);
  } catch (error) {
    throw new SfuError('malformed', `join_request cannot be decoded: ${(error as Error).message}`);
  }
  const settings = join.connectionSettings;
  return {
    singlePeerConnection: true,
    reconnect: join.reconnect,
    sid: join.participantSid || undefined,
    autoSubscribe: settings?.autoSubscribe ?? true,
    adaptiveStream: settings?.adaptiveStream ?? false,
    subscriberAllowPause: settings?.subscriberAllowPause ?? true,
    publisherOffer: join.publisherOffer?.sdp ? join.publisherOffer : undefined,
  };
}

/** `/rtc/v1` and its `/rtc/v1/validate`. */
function isV1(url: URL): boolean {
  return /\/rtc\/v1(\/validate)?$/.test(url.pathname.replace(/\/+$/, ''));
}
