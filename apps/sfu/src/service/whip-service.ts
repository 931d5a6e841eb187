import type { IncomingMessage, ServerResponse } from 'node:http';
import { DisconnectReason, ParticipantInfo_Kind, SessionDescription } from '@livekit/protocol';
import { type ApiKeys, bearer, ParticipantPermissions, type VerifiedToken, verifyToken } from '../auth.js';
import { asSfuError, type ErrorCode, SfuError } from '../errors.js';
import { guard } from '../guard.js';
import type { Logger } from '../logging.js';
import { Participant } from '../rtc/participant.js';
import type { Room } from '../rtc/room.js';
import type { RoomManager } from '../rtc/room-manager.js';
import { type RtcConfig, supportedCodecs } from '../rtc/transport.js';
import { readTrickleFragment, readWhipOffer, whipTrackRequests } from '../rtc/whip-offer.js';
import { readBody } from './room-service.js';
import { participantKinds } from './rtc-service.js';

export const whipPath = '/whip/v1';

/** This edge's answer to an SfuError, as LiveKit's WHIP service answers the same refusal. */
const whipStatus: Record<ErrorCode, number> = {
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  invalid_argument: 400,
  malformed: 400,
  limit_exceeded: 403,
  internal: 500,
};

/** A WHIP session that never connects (the encoder went away after its POST) is dropped after this. */
const connectTimeoutMs = 30_000;

/** What a browser WHIP client must be allowed to send and to read cross-origin. */
const corsHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, if-match',
  'access-control-allow-methods': 'PATCH, OPTIONS, GET, POST, DELETE',
  'access-control-expose-headers': 'location, etag, link',
};

/**
 * WHIP ingest (RFC 9725) at `/whip/v1`, as livekit-server answers it: an encoder POSTs its SDP offer with
 * an access token as bearer (the token's room, identity and publish rights decide everything) and gets
 * 201, the answer and `Location: /whip/v1/{participant sid}`; PATCH trickles its ICE candidates; DELETE
 * ends the session. The encoder becomes a participant without a signal socket: one peer connection it
 * offers, the tracks LiveKit would synthesize from its offer, and nothing it subscribes to. Refusals are
 * `{ "error": reason }` with LiveKit's statuses.
 */
export class WhipService {
  constructor(
    private readonly rooms: RoomManager,
    private readonly keys: ApiKeys,
    private readonly rtc: RtcConfig,
    private readonly log: Logger,
  ) {}

  static handles(path: string): boolean {
    return path === whipPath || path.startsWith(`${whipPath}/`);
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    for (const [name, value] of Object.entries(corsHeaders)) res.setHeader(name, value);
    const sid = path === whipPath ? undefined : decodeURIComponent(path.slice(whipPath.length + 1));
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(200).end();
      } else if (req.method === 'GET') {
        res.writeHead(204).end(); // RFC 9725 §4: a GET is answered without content
      } else if (req.method === 'POST' && sid === undefined) {
        await this.create(req, res);
      } else if (req.method === 'PATCH' && sid !== undefined) {
        await this.patch(req, res, sid);
      } else if (req.method === 'DELETE' && sid !== undefined) {
        const { room, participant } = await this.session(req, sid);
        room.remove(participant, DisconnectReason.CLIENT_INITIATED);
        res.writeHead(200).end();
      } else {
        res.writeHead(405, { allow: sid ? 'GET, PATCH, DELETE, OPTIONS' : 'GET, POST, OPTIONS' }).end();
      }
    } catch (thrown) {
      const error = asSfuError(thrown);
      if (error.code === 'internal') this.log.error({ err: thrown }, 'whip request failed');
      else this.log.debug({ err: error.message, method: req.method }, 'whip request refused');
      if (!res.headersSent) refuse(res, whipStatus[error.code], error.message);
    }
  }

  private async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireContentType(req, 'application/sdp');
    const token = await this.verify(req);
    const permissions = new ParticipantPermissions(token.grant);
    if (!permissions.canPublish)
      throw new SfuError('permission_denied', 'permissions denied: token may not publish');
    const body = Buffer.from(await readBody(req)).toString('utf8');
    if (body.length === 0) throw new SfuError('malformed', 'body does not have SDP offer');
    const offer = readWhipOffer(body, supportedCodecs());
    const requests = whipTrackRequests(offer);
    for (const request of requests) {
      if (!permissions.canPublishSource(request.source))
        throw new SfuError('permission_denied', 'permissions denied: token may not publish this source');
    }

    const roomName = token.grant.room!;
    const identity = token.claims.sub!;
    const existing = this.rooms.get(roomName);
    if (existing?.isFull && !existing.participants.has(identity))
      throw new SfuError('limit_exceeded', 'room is full: max participants reached');
    const room = this.rooms.getOrCreate(roomName);
    const claims = token.claims;
    const participant = new Participant({
      identity,
      name: claims.name ?? '',
      metadata: claims.metadata ?? '',
      attributes: claims.attributes ?? {},
      kind: participantKinds[claims.kind ?? 'standard'] ?? ParticipantInfo_Kind.STANDARD,
      permissions,
      // An encoder only sends: it never subscribes (LiveKit's one-shot signalling mode).
      autoSubscribe: false,
      adaptiveStream: false,
      subscriberAllowPause: false, // it subscribes to nothing
      singlePeerConnection: true,
      rtc: this.rtc,
      log: this.log.child({ room: roomName, whip: true }),
      events: room,
    });
    room.join(participant);
    let answer: string;
    try {
      for (const request of requests) participant.addTrack(request);
      answer = await participant.handleOffer(new SessionDescription({ type: 'offer', sdp: offer.sdp }));
    } catch (error) {
      room.remove(participant, DisconnectReason.STATE_MISMATCH);
      throw error;
    }
    this.superviseConnection(room, participant);
    this.log.info({ room: roomName, participant: identity, sid: participant.sid }, 'whip session created');
    res
      .writeHead(201, {
        'content-type': 'application/sdp',
        location: `${whipPath}/${participant.sid}`,
        etag: sessionTag(participant),
      })
      .end(answer);
  }

  /**
   * A PATCH (RFC 9725 §4.3): trickle ICE, an `application/trickle-ice-sdpfrag` whose If-Match is the
   * session's ETag (428 without one, 412 for another session's) -> its candidates reach the session, 204.
   * An ICE restart (`If-Match: *`, new credentials) is 422, as the RFC asks of a session that trickles but
   * cannot restart (werift cannot restart ICE on the answering side): an encoder that lost its path POSTs
   * again, which replaces its session (same identity). A malformed fragment is 400 and changes nothing.
   */
  private async patch(req: IncomingMessage, res: ServerResponse, sid: string): Promise<void> {
    requireContentType(req, 'application/trickle-ice-sdpfrag');
    const ifMatch = req.headers['if-match'];
    if (!ifMatch) return refuse(res, 428, 'missing entity tag: send the ETag of the session as If-Match');
    const { participant } = await this.session(req, sid);
    const body = Buffer.from(await readBody(req)).toString('utf8');
    if (ifMatch.trim() === '*')
      return refuse(res, 422, 'ICE restart is not supported: POST a new offer to replace the session');
    if (!entityTags(ifMatch).includes(sessionTag(participant)))
      return refuse(res, 412, 'the If-Match entity tag is not this session’s ETag');
    const fragment = readTrickleFragment(body);
    const remote = iceUfrag(participant.publisher.pc.remoteDescription?.sdp ?? '');
    if (fragment.ufrag !== undefined && fragment.ufrag !== remote)
      throw new SfuError(
        'invalid_argument',
        'ICE credential mismatch: the fragment names other ICE credentials',
      );
    for (const { candidate, sdpMid } of fragment.candidates) {
      // RFC 9725 §4.3.2: a candidate the session cannot use is dropped silently, the PATCH still succeeds.
      await participant.publisher
        .addIceCandidate({ candidate, sdpMid, sdpMLineIndex: sdpMid === undefined ? 0 : undefined })
        .catch((error: Error) => this.log.debug({ err: error.message, sid }, 'trickled candidate dropped'));
    }
    res.writeHead(204).end();
  }

  /** The session a PATCH or DELETE names, which the bearer token must own (its room and identity). */
  private async session(
    req: IncomingMessage,
    sid: string,
  ): Promise<{ room: Room; participant: Participant }> {
    const token = await this.verify(req);
    const room = this.rooms.get(token.grant.room!);
    const participant = room?.participants.get(token.claims.sub!);
    if (!room || !participant || participant.sid !== sid)
      throw new SfuError('not_found', 'participant not found');
    return { room, participant };
  }

  private async verify(req: IncomingMessage): Promise<VerifiedToken> {
    const token = await verifyToken(bearer(req.headers.authorization), this.keys);
    if (!token.grant.roomJoin)
      throw new SfuError('unauthenticated', 'permissions denied: token lacks roomJoin');
    if (!token.grant.room) throw new SfuError('unauthenticated', 'room name cannot be empty');
    if (!token.claims.sub) throw new SfuError('malformed', 'participant identity cannot be empty');
    return token;
  }

  /** No socket tells us an encoder is gone: a connection that fails, or never comes up, ends the session. */
  private superviseConnection(room: Room, p: Participant): void {
    const end = guard('whip_session', this.log, () => {
      clearTimeout(timer);
      if (!p.publisher.connected) room.remove(p, DisconnectReason.CONNECTION_TIMEOUT);
    });
    const timer = setTimeout(end, connectTimeoutMs).unref();
    p.publisher.on('failed', end);
    p.publisher.on('connected', () => clearTimeout(timer));
  }
}

function requireContentType(req: IncomingMessage, expected: string): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== expected)
    throw new SfuError('malformed', `unsupported content-type: ${req.headers['content-type'] ?? ''}`);
}

/** The ICE ufrag of a description. */
function iceUfrag(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}

/** The session's ETag: a strong entity tag of its ICE credentials (our ufrag), as LiveKit tags them. */
function sessionTag(participant: Participant): string {
  return `"${iceUfrag(participant.publisher.pc.localDescription?.sdp ?? '') ?? participant.sid}"`;
}

/**
 * The entity tags of an If-Match (RFC 9110 §13.1.1: a list; a weak tag never matches strongly). A bare
 * value is taken as quoted: livekit-server's ETag is unquoted, and encoders echo what they were given.
 */
function entityTags(ifMatch: string): string[] {
  return ifMatch
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '' && !tag.startsWith('W/'))
    .map((tag) => (tag.startsWith('"') ? tag : `"${tag}"`));
}

/** A refusal as LiveKit's WHIP service writes it: `{ "error": reason }`. */
function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
}
