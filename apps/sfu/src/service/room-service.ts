import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CreateRoomRequest,
  DataPacket,
  DeleteRoomRequest,
  DeleteRoomResponse,
  DisconnectReason,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  MuteTrackRequest,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  SendDataRequest,
  SendDataResponse,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  UpdateSubscription,
  UpdateSubscriptionsRequest,
  UpdateSubscriptionsResponse,
  UserPacket,
} from '@livekit/protocol';
import type { VideoGrant } from 'livekit-server-sdk';
import { type ApiKeys, bearer, verifyToken } from '../auth.js';
import { asSfuError, type ErrorCode, SfuError } from '../errors.js';
import type { Participant } from '../rtc/participant.js';
import type { Room } from '../rtc/room.js';
import type { RoomManager } from '../rtc/room-manager.js';

const maxBodyBytes = 1024 * 1024;

/** This edge's answer to an SfuError: the Twirp error code and the HTTP status the Twirp spec pairs it with. */
const twirpErrors: Record<ErrorCode, { code: string; status: number }> = {
  unauthenticated: { code: 'unauthenticated', status: 401 },
  permission_denied: { code: 'permission_denied', status: 403 },
  not_found: { code: 'not_found', status: 404 },
  invalid_argument: { code: 'invalid_argument', status: 400 },
  malformed: { code: 'malformed', status: 400 },
  limit_exceeded: { code: 'resource_exhausted', status: 429 },
  internal: { code: 'internal', status: 500 },
};

// Protobuf-es message classes share these statics; enough to decode a body in either encoding.
interface MessageType<T> {
  fromBinary(bytes: Uint8Array): T;
  fromJsonString(json: string, options?: { ignoreUnknownFields: boolean }): T;
}
interface Encodable {
  toBinary(): Uint8Array;
  toJsonString(): string;
}

type Handler = (body: Uint8Array, json: boolean, grant: VideoGrant) => Encodable;

/**
 * LiveKit's server API, `POST /twirp/livekit.RoomService/<Method>`, JSON or protobuf, authorised by the
 * caller's token grants exactly as `livekit-server-sdk`'s RoomServiceClient expects.
 */
export class RoomService {
  private readonly methods: Record<string, Handler>;

  constructor(
    private readonly rooms: RoomManager,
    private readonly keys: ApiKeys,
  ) {
    const decode = <T>(type: MessageType<T>, body: Uint8Array, json: boolean): T => {
      try {
        return json
          ? type.fromJsonString(Buffer.from(body).toString('utf8') || '{}', { ignoreUnknownFields: true })
          : type.fromBinary(body);
      } catch (error) {
        throw new SfuError('malformed', `could not decode the request: ${(error as Error).message}`);
      }
    };
    this.methods = {
      CreateRoom: (body, json, grant) => {
        requireGrant(grant.roomCreate, 'roomCreate');
        const req = decode(CreateRoomRequest, body, json);
        if (!req.name) throw new SfuError('invalid_argument', 'room name is required');
        const room = this.rooms.getOrCreate(req.name, {
          emptyTimeout: req.emptyTimeout,
          departureTimeout: req.departureTimeout,
          maxParticipants: req.maxParticipants,
          metadata: req.metadata,
        });
        return room.toProto();
      },
      ListRooms: (body, json, grant) => {
        requireGrant(grant.roomList, 'roomList');
        const req = decode(ListRoomsRequest, body, json);
        return new ListRoomsResponse({ rooms: this.rooms.list(req.names).map((room) => room.toProto()) });
      },
      DeleteRoom: (body, json, grant) => {
        requireGrant(grant.roomCreate, 'roomCreate');
        const req = decode(DeleteRoomRequest, body, json);
        this.rooms.delete(req.room);
        return new DeleteRoomResponse();
      },
      ListParticipants: (body, json, grant) => {
        const room = this.adminRoom(decode(ListParticipantsRequest, body, json).room, grant);
        return new ListParticipantsResponse({
          participants: [...room.participants.values()].map((p) => p.toProto()),
        });
      },
      GetParticipant: (body, json, grant) => {
        const req = decode(RoomParticipantIdentity, body, json);
        return this.participant(this.adminRoom(req.room, grant), req.identity).toProto();
      },
      RemoveParticipant: (body, json, grant) => {
        const req = decode(RoomParticipantIdentity, body, json);
        const room = this.adminRoom(req.room, grant);
        room.remove(this.participant(room, req.identity), DisconnectReason.PARTICIPANT_REMOVED);
        return new RemoveParticipantResponse();
      },
      MutePublishedTrack: (body, json, grant) => {
        const req = decode(MuteRoomTrackRequest, body, json);
        const p = this.participant(this.adminRoom(req.room, grant), req.identity);
        const track = p.setTrackMuted(req.trackSid, req.muted);
        if (!track) throw new SfuError('not_found', `track ${req.trackSid} not found`);
        // The publisher's SDK mutes its local track when told to.
        p.send({ case: 'mute', value: new MuteTrackRequest({ sid: req.trackSid, muted: req.muted }) });
        return new MuteRoomTrackResponse({ track: track.info });
      },
      UpdateParticipant: (body, json, grant) => {
        const req = decode(UpdateParticipantRequest, body, json);
        const p = this.participant(this.adminRoom(req.room, grant), req.identity);
        p.updateInfo({
          name: req.name,
          metadata: req.metadata,
          attributes: req.attributes,
          permission: req.permission,
        });
        return p.toProto();
      },
      UpdateSubscriptions: (body, json, grant) => {
        const req = decode(UpdateSubscriptionsRequest, body, json);
        const room = this.adminRoom(req.room, grant);
        room.updateSubscription(
          this.participant(room, req.identity),
          new UpdateSubscription({
            trackSids: req.trackSids,
            subscribe: req.subscribe,
            participantTracks: req.participantTracks,
          }),
        );
        return new UpdateSubscriptionsResponse();
      },
      SendData: (body, json, grant) => {
        const req = decode(SendDataRequest, body, json);
        const room = this.adminRoom(req.room, grant);
        const destinations = new Set(req.destinationIdentities);
        for (const sid of req.destinationSids) {
          const p = [...room.participants.values()].find((q) => q.sid === sid);
          if (p) destinations.add(p.identity);
        }
        room.deliver(
          new DataPacket({
            kind: req.kind,
            destinationIdentities: [...destinations],
            value: {
              case: 'user',
              value: new UserPacket({
                payload: req.data,
                topic: req.topic,
                destinationIdentities: [...destinations],
              }),
            },
          }),
        );
        return new SendDataResponse();
      },
      UpdateRoomMetadata: (body, json, grant) => {
        const req = decode(UpdateRoomMetadataRequest, body, json);
        const room = this.adminRoom(req.room, grant);
        room.setMetadata(req.metadata);
        return room.toProto();
      },
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const json = !/protobuf/.test(req.headers['content-type'] ?? '');
    const fail = (code: string, status: number, msg: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
    const handler = this.methods[method];
    if (!handler || req.method !== 'POST') {
      fail('bad_route', 404, `no such method: ${method}`);
      return;
    }
    try {
      const token = await verifyToken(bearer(req.headers.authorization), this.keys);
      const body = await readBody(req);
      const result = handler(body, json, token.grant);
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end(result.toJsonString());
      else res.writeHead(200, { 'content-type': 'application/protobuf' }).end(result.toBinary());
    } catch (thrown) {
      const error = asSfuError(thrown);
      const twirp = twirpErrors[error.code];
      fail(twirp.code, twirp.status, error.message);
    }
  }

  private adminRoom(name: string, grant: VideoGrant): Room {
    requireGrant(grant.roomAdmin, 'roomAdmin');
    if (grant.room !== name)
      throw new SfuError('unauthenticated', `token is for room "${grant.room ?? ''}", not "${name}"`);
    const room = this.rooms.get(name);
    if (!room) throw new SfuError('not_found', `room "${name}" does not exist`);
    return room;
  }

  private participant(room: Room, identity: string): Participant {
    const p = room.participants.get(identity);
    if (!p) throw new SfuError('not_found', `participant "${identity}" is not in room "${room.name}"`);
    return p;
  }
}

/** A missing grant is `unauthenticated` (401), as LiveKit answers it (its twirpAuthError), not 403. */
function requireGrant(value: boolean | undefined, name: string): void {
  if (!value) throw new SfuError('unauthenticated', `token lacks the ${name} grant`);
}

export async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new SfuError('malformed', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
