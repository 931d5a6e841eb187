import { type RemoteParticipant, Room, RoomEvent, type TextStreamReader } from '@livekit/rtc-node';
import { attributes, chatAttributes, chatKinds, chatTopic, roles } from '@scenecast/contract';
import type { RoomServiceClient } from 'livekit-server-sdk';
import type { Logger } from 'pino';
import { type ChatRules, type Refusal, tooLong } from './rules.js';
import { metrics } from './telemetry.js';

/** A message's text is read for at most this long: a stream that never ends holds nothing. */
const readTimeoutMs = 5_000;
/** Data still arriving from a muted sender this long after the mute: the engine did not stop it. */
const muteGraceMs = 3_000;
/** How long a message from a participant not yet known waits for its join to be announced. */
const joinWaitMs = 5_000;
/** Refusal notices to one sender, at most one a second, so a flood is not answered with one. */
const noticeIntervalMs = 1_000;

export interface ShowModeratorOptions {
  url: string;
  token: string;
  show: string;
  rules: ChatRules;
  roomService: RoomServiceClient;
  log: Logger;
  /** Called once when the moderator has left the show (everyone else left, or it was disconnected). */
  onClosed: () => void;
}

/**
 * The moderator in one show's room: it receives what viewers send it, relays what the rules allow to
 * everyone with the sender's name and role, tells a sender privately why a message was not relayed,
 * and mutes (RoomService UpdateParticipant without canPublishData) or, where the engine keeps relaying a
 * muted sender, removes (RemoveParticipant) whoever abuses the chat. It subscribes to no media.
 */
export class ShowModerator {
  readonly room = new Room();
  /** Identities muted in this show, and when: a muted viewer rejoining is muted again at once. */
  private readonly muted = new Map<string, number>();
  private readonly removed = new Set<string>();
  private readonly lastNotice = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: ShowModeratorOptions) {}

  get show(): string {
    return this.options.show;
  }

  async start(): Promise<void> {
    const { room } = this;
    room.registerTextStreamHandler(chatTopic, (reader, { identity }) => {
      this.onChat(reader, identity).catch((error) =>
        this.options.log.warn({ err: error, identity }, 'chat message failed'),
      );
    });
    room
      // Raw data packets are not chat; the viewer app sends none, so a viewer sending them is abusing.
      .on(RoomEvent.DataReceived, (_payload, participant) => {
        if (participant && !this.isHost(participant))
          this.abuse(participant.identity, 'sending data that is not chat');
      })
      .on(RoomEvent.ParticipantConnected, (participant) => {
        if (this.muted.has(participant.identity))
          void this.mute(participant.identity, 'abuse earlier in this show');
      })
      .on(RoomEvent.ParticipantDisconnected, (participant) => {
        this.options.rules.forget(participant.identity);
        this.lastNotice.delete(participant.identity);
        if (room.remoteParticipants.size === 0) void this.close();
      })
      .on(RoomEvent.Disconnected, () => void this.close());
    await room.connect(this.options.url, this.options.token, { autoSubscribe: false, dynacast: false });
    // Everyone may have left between the engine's answer and the join.
    if (room.remoteParticipants.size === 0) await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.room.disconnect().catch(() => undefined);
    this.options.onClosed();
  }

  /**
   * The sender, for its name and role: a participant that speaks the moment it joins can be heard before
   * the engine has told us it joined (and under a flood that news queues behind the flood), so wait a
   * moment for it. Pace, strikes and mutes need only the identity and never wait.
   */
  private participant(identity: string): Promise<RemoteParticipant | undefined> {
    const known = this.room.remoteParticipants.get(identity);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const joined = (p: RemoteParticipant) => {
        if (p.identity !== identity) return;
        clearTimeout(timer);
        this.room.off(RoomEvent.ParticipantConnected, joined);
        resolve(p);
      };
      const timer = setTimeout(() => {
        this.room.off(RoomEvent.ParticipantConnected, joined);
        resolve(undefined);
      }, joinWaitMs);
      this.room.on(RoomEvent.ParticipantConnected, joined);
    });
  }

  private isHost(participant: RemoteParticipant): boolean {
    return participant.attributes[attributes.role] === roles.host;
  }

  private async onChat(reader: TextStreamReader, identity: string): Promise<void> {
    const mutedAt = this.muted.get(identity);
    if (mutedAt !== undefined) {
      // The engine should have stopped this sender; if it keeps coming, take it out of the show.
      if (performance.now() - mutedAt > muteGraceMs) await this.remove(identity);
      return;
    }
    const known = this.room.remoteParticipants.get(identity);
    const { rules } = this.options;
    // Its pace first, before reading a word or waiting for its name: a flood is refused at the cost of a
    // counter. (A host not yet known is paced like a viewer for that moment.)
    const early = rules.admit(identity, { host: known ? this.isHost(known) : false });
    if (early) return this.refuse(identity, early);
    const participant = known ?? (await this.participant(identity));
    if (!participant) return;
    const host = this.isHost(participant);
    const text = await readBounded(reader, rules.limits.maxLength);
    const verdict = text === undefined ? tooLong(rules.limits.maxLength) : rules.judge(text, { host });
    if (!verdict.relay) return this.refuse(identity, verdict);
    metrics.messages.inc({ outcome: 'relayed' });
    await this.room.localParticipant!.sendText(verdict.text, {
      topic: chatTopic,
      attributes: {
        [chatAttributes.kind]: chatKinds.message,
        [chatAttributes.from]: identity,
        [chatAttributes.name]: participant.name || identity,
        [chatAttributes.role]: host ? roles.host : '',
      },
    });
  }

  private async refuse(identity: string, verdict: Refusal) {
    metrics.messages.inc({ outcome: 'refused' });
    if (verdict.abuse) this.abuse(identity, verdict.abuse);
    if (this.muted.has(identity)) return;
    const now = performance.now();
    if (now - (this.lastNotice.get(identity) ?? -Infinity) < noticeIntervalMs) return;
    this.lastNotice.set(identity, now);
    await this.send(chatKinds.refused, identity, `Not sent: ${verdict.reason}.`, { to: [identity] });
  }

  private abuse(identity: string, reason: string): void {
    if (this.muted.has(identity)) return;
    if (this.options.rules.strike(identity)) void this.mute(identity, reason);
  }

  /** Takes the sender's right to send data (all of its other rights as they were), and says so. */
  private async mute(identity: string, reason: string): Promise<void> {
    const first = !this.muted.has(identity);
    this.muted.set(identity, performance.now());
    if (first) metrics.mutes.inc();
    const { roomService, show, log } = this.options;
    let name = this.nameOf(identity);
    try {
      const info = await roomService.getParticipant(show, identity);
      // The engine's word for the name: under a flood, news of the sender's join may still be queued here.
      name = info.name || name;
      // UpdateParticipant replaces the whole permission: send it back complete, data taken away.
      await roomService.updateParticipant(show, identity, {
        permission: { ...info.permission, canPublishData: false },
      });
      log.info({ show, identity, reason }, 'chat: muted');
    } catch (error) {
      // Gone already (the engine's own data limit may have disconnected a flood first): still muted here,
      // and muted again if it comes back.
      if ((error as { code?: string }).code === 'not_found')
        log.info({ show, identity, reason }, 'chat: muted (gone)');
      else log.warn({ err: error, show, identity }, 'chat: mute failed');
    }
    if (first) await this.send(chatKinds.muted, identity, `${name} was muted for ${reason}.`, { name });
  }

  private async remove(identity: string): Promise<void> {
    if (this.removed.has(identity)) return;
    this.removed.add(identity);
    const { roomService, show, log } = this.options;
    await roomService
      .removeParticipant(show, identity)
      .catch((error) => log.warn({ err: error, show, identity }, 'chat: remove failed'));
    log.info({ show, identity }, 'chat: removed');
    metrics.removals.inc();
    await this.send(chatKinds.removed, identity, `${this.nameOf(identity)} was removed from the show.`);
  }

  private nameOf(identity: string): string {
    return this.room.remoteParticipants.get(identity)?.name || identity;
  }

  private async send(
    kind: string,
    about: string,
    text: string,
    { to, name = this.nameOf(about) }: { to?: string[]; name?: string } = {},
  ): Promise<void> {
    if (this.closed) return;
    await this.room.localParticipant!.sendText(text, {
      topic: chatTopic,
      ...(to ? { destinationIdentities: to } : {}),
      attributes: {
        [chatAttributes.kind]: kind,
        [chatAttributes.from]: about,
        [chatAttributes.name]: name,
      },
    });
  }
}

/**
 * A message's text, read for at most `readTimeoutMs`; undefined when it runs past `maxLength` characters
 * (counted generously as UTF-16 units, twice the limit, so reading stops early) or never ends.
 */
async function readBounded(reader: TextStreamReader, maxLength: number): Promise<string | undefined> {
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), readTimeoutMs);
  });
  const read = (async () => {
    for await (const chunk of reader) {
      text += chunk;
      if (text.length > maxLength * 2) return undefined;
    }
    return text;
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
