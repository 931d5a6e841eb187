import { chatAttributes, chatKinds, chatTopic, moderatorIdentity, roles } from '@scenecast/contract';
import { type Room, RoomEvent } from 'livekit-client';
import { type FormEvent, useEffect, useRef, useState } from 'react';

const maxMessageLength = 280;
const minIntervalMs = 1000;

interface Line {
  id: number;
  kind: 'message' | 'notice';
  from: string;
  text: string;
  host: boolean;
  mine: boolean;
}

/**
 * Chat through the show's moderator (apps/moderator): messages go to the moderator only, and only what the
 * moderator relays is shown — with the sender's name, the host marked, and who was muted. Anything another
 * participant sends directly (a flood) is never shown. Short messages, one a second.
 */
export function Chat({ room }: { room: Room }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const [moderated, setModerated] = useState(() => room.remoteParticipants.has(moderatorIdentity));
  const [muted, setMuted] = useState(false);
  const lastSent = useRef(0);
  const nextId = useRef(0);
  const listRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const add = (line: Omit<Line, 'id'>) =>
      setLines((list) => [...list.slice(-199), { ...line, id: nextId.current++ }]);
    room.registerTextStreamHandler(chatTopic, async (reader, info) => {
      if (info.identity !== moderatorIdentity) return;
      const text = (await reader.readAll()).slice(0, 2 * maxMessageLength);
      const attributes = reader.info.attributes ?? {};
      const about = attributes[chatAttributes.from] ?? '';
      const name = attributes[chatAttributes.name] || about;
      const mine = about === room.localParticipant.identity;
      switch (attributes[chatAttributes.kind]) {
        case chatKinds.message:
          add({
            kind: 'message',
            from: mine ? 'You' : name,
            text,
            host: attributes[chatAttributes.role] === roles.host,
            mine,
          });
          break;
        case chatKinds.muted:
        case chatKinds.removed:
          if (mine) setMuted(true);
          add({ kind: 'notice', from: name, text, host: false, mine });
          break;
        case chatKinds.refused:
          if (mine) setError(text);
          break;
      }
    });
    const presence = () => setModerated(room.remoteParticipants.has(moderatorIdentity));
    // RoomService took this viewer's right to send data (the moderator's mute), or gave it back.
    const permissions = () => setMuted(room.localParticipant.permissions?.canPublishData === false);
    room
      .on(RoomEvent.ParticipantConnected, presence)
      .on(RoomEvent.ParticipantDisconnected, presence)
      .on(RoomEvent.Connected, presence)
      .on(RoomEvent.ParticipantPermissionsChanged, permissions);
    return () => {
      room.unregisterTextStreamHandler(chatTopic);
      room
        .off(RoomEvent.ParticipantConnected, presence)
        .off(RoomEvent.ParticipantDisconnected, presence)
        .off(RoomEvent.Connected, presence)
        .off(RoomEvent.ParticipantPermissionsChanged, permissions);
    };
  }, [room]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the newest line whenever the list grows
  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [lines]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text || muted || !moderated) return;
    if (performance.now() - lastSent.current < minIntervalMs) {
      setError('One message a second, please.');
      return;
    }
    lastSent.current = performance.now();
    setError(undefined);
    setDraft('');
    try {
      // To the moderator only; it comes back to everyone (this viewer too) once relayed.
      await room.localParticipant.sendText(text, {
        topic: chatTopic,
        destinationIdentities: [moderatorIdentity],
      });
    } catch {
      setError('Not sent: the connection dropped. Try again in a moment.');
    }
  };

  const closed = muted ? 'You were muted in this show.' : !moderated ? 'Chat opens in a moment…' : undefined;
  return (
    <section className="chat" aria-label="Chat">
      <ol ref={listRef} className="messages" aria-live="polite">
        {lines.map((m) =>
          m.kind === 'notice' ? (
            <li key={m.id} className="notice" data-about={m.from}>
              {m.text}
            </li>
          ) : (
            <li
              key={m.id}
              className={`message ${m.host ? 'host' : ''} ${m.mine ? 'mine' : ''}`}
              data-from={m.from}
            >
              <strong>{m.from}</strong>
              {m.host && <span className="host-mark">host</span>} <span className="text">{m.text}</span>
            </li>
          ),
        )}
      </ol>
      <form onSubmit={send}>
        <input
          aria-label="Message"
          data-testid="chat-input"
          value={draft}
          maxLength={maxMessageLength}
          disabled={closed !== undefined}
          placeholder={closed ?? 'Ask the host…'}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" data-testid="chat-send" disabled={closed !== undefined}>
          Send
        </button>
      </form>
      {error && (
        <p className="chat-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
