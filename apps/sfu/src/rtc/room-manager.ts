import { DisconnectReason } from '@livekit/protocol';
import { guard } from '../guard.js';
import type { Logger } from '../logging.js';
import type { WebhookNotifier } from '../service/webhooks.js';
import type { DataLimits } from '../sfu/data-limiter.js';
import { metrics } from '../telemetry.js';
import type { MediaTrack } from './media-track.js';
import type { Participant } from './participant.js';
import { Room, type RoomHooks, type RoomOptions } from './room.js';

export interface RoomDefaults {
  emptyTimeout: number;
  departureTimeout: number;
  maxParticipants: number;
  data: DataLimits;
}

/**
 * All rooms on this node. Rooms are created on first join or by the API, and closed when they stay empty
 * past their timeout; every lifecycle change becomes a webhook.
 */
export class RoomManager implements RoomHooks {
  private readonly rooms = new Map<string, Room>();
  private readonly closeTimers = new Map<Room, NodeJS.Timeout>();

  constructor(
    readonly defaults: RoomDefaults,
    private readonly webhooks: WebhookNotifier,
    private readonly log: Logger,
  ) {}

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  list(names?: string[]): Room[] {
    const all = [...this.rooms.values()];
    return names && names.length > 0 ? all.filter((room) => names.includes(room.name)) : all;
  }

  getOrCreate(name: string, options: Partial<RoomOptions> = {}): Room {
    const existing = this.rooms.get(name);
    if (existing) return existing;
    const room = new Room(
      name,
      {
        emptyTimeout: options.emptyTimeout || this.defaults.emptyTimeout,
        departureTimeout: options.departureTimeout || this.defaults.departureTimeout,
        maxParticipants: options.maxParticipants || this.defaults.maxParticipants,
        metadata: options.metadata ?? '',
        data: this.defaults.data,
      },
      this,
      this.log.child({ room: name }),
    );
    this.rooms.set(name, room);
    metrics.rooms.set(this.rooms.size);
    this.log.info({ room: name, sid: room.sid }, 'room started');
    this.webhooks.notify({ event: 'room_started', room: room.toProto() });
    // A room nobody joins closes after its empty timeout.
    this.scheduleClose(room, room.options.emptyTimeout);
    return room;
  }

  delete(name: string): boolean {
    const room = this.rooms.get(name);
    if (!room) return false;
    this.closeRoom(room, DisconnectReason.ROOM_DELETED);
    return true;
  }

  closeAll(): void {
    for (const room of [...this.rooms.values()]) this.closeRoom(room, DisconnectReason.SERVER_SHUTDOWN);
  }

  // ---- RoomHooks ----

  participantJoined(room: Room, p: Participant): void {
    this.cancelClose(room);
    metrics.participants.inc();
    this.webhooks.notify({ event: 'participant_joined', room: room.toProto(), participant: p.toProto() });
  }

  participantLeft(room: Room, p: Participant): void {
    metrics.participants.dec();
    this.webhooks.notify({ event: 'participant_left', room: room.toProto(), participant: p.toProto() });
  }

  trackPublished(room: Room, p: Participant, track: MediaTrack): void {
    this.webhooks.notify({
      event: 'track_published',
      room: room.toProto(),
      participant: p.toProto(),
      track: track.info,
    });
  }

  trackUnpublished(room: Room, p: Participant, track: MediaTrack): void {
    this.webhooks.notify({
      event: 'track_unpublished',
      room: room.toProto(),
      participant: p.toProto(),
      track: track.info,
    });
  }

  empty(room: Room): void {
    if (!room.isClosed) this.scheduleClose(room, room.options.departureTimeout);
  }

  private scheduleClose(room: Room, seconds: number): void {
    this.cancelClose(room);
    const timer = setTimeout(
      guard('room_close', this.log, () => {
        if (room.participants.size === 0) this.closeRoom(room, DisconnectReason.ROOM_CLOSED);
      }),
      seconds * 1000,
    );
    timer.unref();
    this.closeTimers.set(room, timer);
  }

  private cancelClose(room: Room): void {
    const timer = this.closeTimers.get(room);
    if (timer) clearTimeout(timer);
    this.closeTimers.delete(room);
  }

  private closeRoom(room: Room, reason: DisconnectReason): void {
    if (this.rooms.get(room.name) !== room) return;
    this.cancelClose(room);
    room.close(reason);
    this.rooms.delete(room.name);
    metrics.rooms.set(this.rooms.size);
    this.log.info({ room: room.name }, 'room finished');
    this.webhooks.notify({ event: 'room_finished', room: room.toProto() });
  }
}
