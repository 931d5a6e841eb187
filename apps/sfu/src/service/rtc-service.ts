import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  DisconnectReason,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo_Kind,
  ReconnectResponse,
  SignalResponse,
} from '@livekit/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  type ApiKeys,
  bearer,
  ParticipantPermissions,
  refreshToken,
  type VerifiedToken,
  verifyToken,
} from '../auth.js';
import { asSfuError, type ErrorCode, SfuError } from '../errors.js';
import { guard } from '../guard.js';
import type { Logger } from '../logging.js';
import { Participant } from '../rtc/participant.js';
import type { Room } from '../rtc/room.js';
import type { RoomManager } from '../rtc/room-manager.js';
import type { RtcConfig } from '../rtc/transport.js';
import { type JoinParams, parseJoin } from '../signal/join-request.js';
import { maxSignalFrameBytes, SignalConnection } from '../signal/signal-connection.js';
import { handleSignalRequest } from '../signal/signal-handler.js';
import { metrics } from '../telemetry.js';

/** Timings of a participant's session; tests shorten them so minutes of a show pass in seconds. */
export interface SessionTimings {
  /** How often a connected participant gets a fresh token (LiveKit's `refreshToken`): 5 minutes. */
  tokenRefreshMs: number;
  /** How long a participant whose signalling dropped may take to resume before it is removed. */
  resumeWindowMs: number;
  /** A client that sent nothing (not even a ping) for this long is gone even if TCP has not noticed. */
  signalTimeoutMs: number;
}

/** LiveKit's ratio: a token valid for 10 minutes every 5; at least 10 s so a reconnect can still use it. */
const refreshedTokenTtlSeconds = (refreshMs: number) => Math.max(10, Math.ceil((2 * refreshMs) / 1000));

export const defaultSessionTimings: SessionTimings = {
  tokenRefreshMs: 5 * 60_000,
  resumeWindowMs: 15_000,
  signalTimeoutMs: 20_000,
};

interface Admission {
  token: VerifiedToken;
  roomName: string;
  identity: string;
  join: JoinParams;
}

/**
 * This edge's answer to a refused join, as LiveKit's `/rtc` and `/rtc/validate` give it: 401 for a token
 * that cannot join, 403 for a room that cannot take it.
 */
const admissionStatus: Record<ErrorCode, number> = {
  unauthenticated: 401,
  permission_denied: 403,
  limit_exceeded: 403,
  not_found: 404,
  invalid_argument: 400,
  malformed: 400,
  internal: 500,
};
const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** A token's `kind` claim as the participant kind it joins as (also for WHIP sessions). */
export const participantKinds: Record<string, ParticipantInfo_Kind> = {
  standard: ParticipantInfo_Kind.STANDARD,
  ingress: ParticipantInfo_Kind.INGRESS,
  egress: ParticipantInfo_Kind.EGRESS,
  sip: ParticipantInfo_Kind.SIP,
  agent: ParticipantInfo_Kind.AGENT,
};

/**
 * LiveKit's signalling endpoints, `/rtc` (dual peer connection, "v0") and `/rtc/v1` (one peer connection
 * the client offers, its first offer inside the join request): admits participants with their token,
 * resumes them after a dropped socket, and turns each SignalRequest into room actions.
 */
export class RtcService {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: maxSignalFrameBytes });
  private readonly resumeTimers = new Map<Participant, NodeJS.Timeout>();

  constructor(
    private readonly rooms: RoomManager,
    private readonly keys: ApiKeys,
    private readonly rtc: RtcConfig,
    private readonly log: Logger,
    private readonly timings: SessionTimings = defaultSessionTimings,
  ) {}

  /** `/rtc/validate` and `/rtc/v1/validate`: the status a client reads to explain a failed WebSocket. */
  async validate(url: URL, authorization?: string): Promise<{ status: number; body: string }> {
    try {
      await this.admit(url, authorization);
      return { status: 200, body: 'success' };
    } catch (thrown) {
      const error = asSfuError(thrown);
      return { status: admissionStatus[error.code], body: error.message };
    }
  }

  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    let admission: Admission;
    try {
      admission = await this.admit(url, request.headers.authorization);
    } catch (thrown) {
      const error = asSfuError(thrown);
      const status = admissionStatus[error.code];
      metrics.signalErrors.inc({ reason: `refused_${status}` });
      socket.end(
        `HTTP/1.1 ${status} ${statusText[status]}\r\n` +
          `content-type: text/plain\r\nconnection: close\r\n\r\n${error.message}`,
      );
      return;
    }
    this.wss.handleUpgrade(
      request,
      socket,
      head,
      guard(
        'signal_connect',
        this.log,
        (ws: WebSocket) => this.onConnection(ws, admission),
        () => socket.destroy(),
      ),
    );
  }

  /** The token comes as `access_token` (livekit-client) or an Authorization bearer header (Rust SDK). */
  private async admit(url: URL, authorization?: string): Promise<Admission> {
    const params = url.searchParams;
    const join = parseJoin(url);
    const token = await verifyToken(
      bearer(authorization) ?? params.get('access_token') ?? undefined,
      this.keys,
    );
    const grant = token.grant;
    const identity = token.claims.sub ?? '';
    if (!grant.roomJoin) throw new SfuError('unauthenticated', 'permissions denied: token lacks roomJoin');
    if (!grant.room) throw new SfuError('unauthenticated', 'permissions denied: token names no room');
    if (!identity) throw new SfuError('unauthenticated', 'token has no identity');
    const room = this.rooms.get(grant.room);
    if (!join.reconnect && room?.isFull && !room.participants.has(identity)) {
      throw new SfuError('limit_exceeded', 'room is full: max participants reached');
    }
    return { token, roomName: grant.room, identity, join };
  }

  private onConnection(ws: WebSocket, admission: Admission): void {
    const signal = new SignalConnection(ws);
    const { roomName, identity, join } = admission;
    let room: Room | undefined;
    let participant: Participant | undefined;

    if (join.reconnect) {
      room = this.rooms.get(roomName);
      const existing = room?.participants.get(identity);
      if (!room || !existing || existing.sid !== join.sid || !existing.resumable) {
        // Nothing to resume (or a session whose peer connection failed): ask for a full reconnect, which
        // rejoins from scratch.
        this.log.info(
          {
            room: roomName,
            participant: identity,
            why: !existing || existing.sid !== join.sid ? 'no such session' : 'peer connection failed',
          },
          'resume refused: full reconnect asked',
        );
        signal.send(signalLeave(DisconnectReason.STATE_MISMATCH, LeaveRequest_Action.RECONNECT));
        signal.close(1000, 'nothing to resume');
        return;
      }
      participant = existing;
      this.cancelResumeTimer(participant);
      participant.attachSignal(signal);
      participant.send({ case: 'reconnect', value: new ReconnectResponse({}) });
      participant.resume();
      this.log.info({ room: roomName, participant: identity }, 'participant resumed');
    } else {
      room = this.rooms.getOrCreate(roomName);
      const claims = admission.token.claims;
      participant = new Participant({
        identity,
        name: claims.name ?? '',
        metadata: claims.metadata ?? '',
        attributes: claims.attributes ?? {},
        kind: participantKinds[claims.kind ?? 'standard'] ?? ParticipantInfo_Kind.STANDARD,
        permissions: new ParticipantPermissions(admission.token.grant),
        autoSubscribe: join.autoSubscribe,
        adaptiveStream: join.adaptiveStream,
        subscriberAllowPause: join.subscriberAllowPause,
        singlePeerConnection: join.singlePeerConnection,
        rtc: this.rtc,
        log: this.log.child({ room: roomName }),
        events: room,
      });
      participant.attachSignal(signal);
      room.join(participant);
    }

    const joinedRoom = room;
    const self = participant;
    const context = { room: roomName, participant: identity };
    // A callback that failed mid-way may have left this participant half-updated: drop it (only it);
    // its client reconnects and rejoins from scratch.
    const dropParticipant = () => {
      ws.terminate();
      joinedRoom.remove(self, DisconnectReason.STATE_MISMATCH);
    };
    // Long sessions outlive their token: keep handing the client a fresh one for its reconnects.
    const refresh = setInterval(
      guard('token_refresh', this.log.child(context), async () => {
        const token = await refreshToken(
          admission.token,
          self,
          this.keys.get(admission.token.apiKey)!,
          refreshedTokenTtlSeconds(this.timings.tokenRefreshMs),
        );
        self.send({ case: 'refreshToken', value: token });
      }),
      this.timings.tokenRefreshMs,
    );
    refresh.unref();
    let lastSeen = Date.now();
    const liveness = setInterval(
      guard('signal_liveness', this.log, () => {
        if (Date.now() - lastSeen > this.timings.signalTimeoutMs) ws.terminate();
      }),
      Math.min(5_000, this.timings.signalTimeoutMs / 4),
    );
    liveness.unref();

    // Requests are handled one at a time, in order, as the client sent them.
    let chain: Promise<void> = Promise.resolve();
    const handle = (work: () => Promise<void>) => {
      chain = chain.then(work).catch((error: unknown) => {
        // A request refused as invalid (an SfuError: bad JSON, an SDP or candidate werift rejects) is
        // the client's error; anything else failed in our code.
        const refused = error instanceof SfuError && error.code !== 'internal';
        metrics.signalErrors.inc({ reason: refused ? 'invalid_request' : 'handler_error' });
        // debug, not warn: a hostile client must not be able to flood the logs; the metric counts it.
        this.log.debug({ err: (error as Error).message, ...context }, 'signal request failed');
      });
    };
    // `/rtc/v1`: the client's first offer came inside the join; it is answered after the join response.
    const firstOffer = join.publisherOffer;
    if (firstOffer) handle(async () => void (await self.handleOffer(firstOffer)));
    ws.on(
      'message',
      guard('signal_message', this.log.child(context), (data: Buffer, isBinary: boolean) => {
        lastSeen = Date.now();
        const request = signal.parse(data, isBinary);
        if (!request) return;
        if (request.message.case !== 'ping' && request.message.case !== 'pingReq')
          this.log.trace({ ...context, request: request.message.case }, 'signal request');
        handle(async () => {
          const started = performance.now();
          await handleSignalRequest(joinedRoom, self, request);
          const tookMs = performance.now() - started;
          // Requests queue behind each other: a slow one delays every later one (an answer, a subscription).
          if (tookMs > 200)
            this.log.debug({ ...context, request: request.message.case, tookMs }, 'slow signal request');
        });
      }),
    );
    ws.on(
      'close',
      guard(
        'signal_close',
        this.log.child(context),
        () => {
          clearInterval(liveness);
          clearInterval(refresh);
          self.detachSignal(signal);
          if (joinedRoom.participants.get(self.identity) !== self || self.hasSignal) return;
          this.log.debug(context, 'signal closed: waiting for a resume');
          // Keep the participant (and its media) for a while: the client may resume on a new socket.
          this.resumeTimers.set(
            self,
            setTimeout(
              guard('resume_timeout', this.log.child(context), () => {
                this.resumeTimers.delete(self);
                if (!self.hasSignal) joinedRoom.remove(self, DisconnectReason.SIGNAL_CLOSE);
              }),
              this.timings.resumeWindowMs,
            ).unref(),
          );
        },
        dropParticipant,
      ),
    );
    ws.on('error', () => ws.terminate());
  }

  private cancelResumeTimer(p: Participant): void {
    const timer = this.resumeTimers.get(p);
    if (timer) clearTimeout(timer);
    this.resumeTimers.delete(p);
  }

  /** Removes every participant's resume window (shutdown). */
  close(): void {
    for (const timer of this.resumeTimers.values()) clearTimeout(timer);
    this.resumeTimers.clear();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}

function signalLeave(reason: DisconnectReason, action: LeaveRequest_Action): SignalResponse {
  return new SignalResponse({
    message: { case: 'leave', value: new LeaveRequest({ canReconnect: true, reason, action }) },
  });
}
