import {
  DisconnectReason,
  Pong,
  protoInt64,
  RequestResponse,
  RequestResponse_Reason,
  type SignalRequest,
  TrackPublishedResponse,
} from '@livekit/protocol';
import { asSfuError, type ErrorCode, SfuError } from '../errors.js';
import type { Participant } from '../rtc/participant.js';
import type { Room } from '../rtc/room.js';

/** The signalling edge's answer to a refused request. */
const requestReasons: Record<ErrorCode, RequestResponse_Reason> = {
  unauthenticated: RequestResponse_Reason.NOT_ALLOWED,
  permission_denied: RequestResponse_Reason.NOT_ALLOWED,
  not_found: RequestResponse_Reason.NOT_FOUND,
  invalid_argument: RequestResponse_Reason.INVALID_REQUEST,
  malformed: RequestResponse_Reason.INVALID_REQUEST,
  limit_exceeded: RequestResponse_Reason.LIMIT_EXCEEDED,
  internal: RequestResponse_Reason.UNCLASSIFIED_ERROR,
};

/**
 * Turns one SignalRequest of a participant into room and participant actions (LiveKit's signal handler).
 * A refused request is answered with a RequestResponse whose reason is mapped from its SfuError here;
 * anything else that fails rejects, for the caller to count.
 */
export async function handleSignalRequest(room: Room, p: Participant, request: SignalRequest): Promise<void> {
  const message = request.message;
  switch (message.case) {
    case 'offer':
      await p.handleOffer(message.value);
      return;
    case 'answer':
      await p.handleAnswer(message.value);
      return;
    case 'trickle':
      p.handleTrickle(message.value);
      return;
    case 'addTrack': {
      const add = message.value;
      try {
        const track = p.addTrack(add);
        p.send({
          case: 'trackPublished',
          value: new TrackPublishedResponse({ cid: add.cid, track: track.info }),
        });
      } catch (error) {
        refuse(p, 0, { case: 'addTrack', value: add }, error);
      }
      return;
    }
    case 'mute':
      p.setTrackMuted(message.value.sid, message.value.muted);
      return;
    case 'subscription':
      room.updateSubscription(p, message.value);
      return;
    case 'trackSetting':
      room.updateTrackSettings(p, message.value);
      return;
    case 'leave':
      room.remove(p, DisconnectReason.CLIENT_INITIATED);
      return;
    case 'updateMetadata': {
      const update = message.value;
      const request = { case: 'updateMetadata', value: update } as const;
      try {
        if (!p.permissions.canUpdateOwnMetadata) {
          throw new SfuError('permission_denied', 'does not have permission to update own metadata');
        }
        p.updateInfo({ name: update.name, metadata: update.metadata, attributes: update.attributes });
        // livekit-client awaits the answer to its request id.
        p.send({
          case: 'requestResponse',
          value: new RequestResponse({
            requestId: update.requestId,
            reason: RequestResponse_Reason.OK,
            request,
          }),
        });
      } catch (error) {
        refuse(p, update.requestId, request, error);
      }
      return;
    }
    case 'ping':
      p.send({ case: 'pong', value: protoInt64.parse(Date.now()) });
      return;
    case 'pingReq':
      p.send({
        case: 'pongResp',
        value: new Pong({
          lastPingTimestamp: message.value.timestamp,
          timestamp: protoInt64.parse(Date.now()),
        }),
      });
      return;
    case 'syncState':
      // After a resume the client re-states its subscriptions; re-apply them.
      if (message.value.subscription) room.updateSubscription(p, message.value.subscription);
      return;
    default:
      // simulate, subscriptionPermission, updateLayers, audio/video track updates: accepted, no effect.
      return;
  }
}

/** Answers a refused request with the reason its error maps to; an unexpected error is passed on. */
function refuse(
  p: Participant,
  requestId: number,
  request: RequestResponse['request'],
  thrown: unknown,
): void {
  const error = asSfuError(thrown);
  p.send({
    case: 'requestResponse',
    value: new RequestResponse({
      requestId,
      reason: requestReasons[error.code],
      message: error.message,
      request,
    }),
  });
  if (error.code === 'internal') throw thrown;
}
