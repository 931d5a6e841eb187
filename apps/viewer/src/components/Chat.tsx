import { attributes, chatTopic, roles } from '@scenecast/contract';
import { type Participant, type Room, RoomEvent } from 'livekit-client';
import { type FormEvent, useEffect, useRef, useState } from 'react';

const maxMessageLength = 280;
const minIntervalMs = 1000;

interface Message {
  id: number;
  /** The sender's identity; undefined for the viewer's own. */
  identity?: string;
  from: string;
  text: string;
  host: boolean;
  mine: boolean;
}

/** Who sent a message, as the room knows them now: their name, and whether they are the host. */
function sender(room: Room, identity: string): Pick<Message, 'from' | 'host'> {
  const participant = room.remoteParticipants.get(identity);
  return {
    from: participant?.name || identity,
    host: participant?.attributes[attributes.role] === roles.host,
  };
}

/** Chat over LiveKit text streams on topic "chat": short messages, one a second, the host marked. */
export function Chat({ room }: { room: Room }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const lastSent = useRef(0);
  const nextId = useRef(0);
  const listRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    room.registerTextStreamHandler(chatTopic, async (reader, info) => {
      const text = (await reader.readAll()).slice(0, maxMessageLength);
      setMessages((list) => [
        ...list.slice(-199),
        { id: nextId.current++, identity: info.identity, text, mine: false, ...sender(room, info.identity) },
      ]);
    });
    // A text stream and its sender's details come on different channels, so a message can arrive first:
    // its sender's name and host mark are filled in when the room learns them.
    const learnt = (participant: Participant) =>
      setMessages((list) =>
        list.map((m) => (m.identity === participant.identity ? { ...m, ...sender(room, m.identity) } : m)),
      );
    const changed = (_: unknown, participant: Participant) => learnt(participant);
    room
      .on(RoomEvent.ParticipantConnected, learnt)
      .on(RoomEvent.ParticipantNameChanged, changed)
      .on(RoomEvent.ParticipantAttributesChanged, changed);
    return () => {
      room.unregisterTextStreamHandler(chatTopic);
      room
        .off(RoomEvent.ParticipantConnected, learnt)
        .off(RoomEvent.ParticipantNameChanged, changed)
        .off(RoomEvent.ParticipantAttributesChanged, changed);
    };
  }, [room]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the newest message whenever the list grows
  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    if (performance.now() - lastSent.current < minIntervalMs) {
      setError('One message a second, please.');
      return;
    }
    lastSent.current = performance.now();
    setError(undefined);
    setDraft('');
    try {
      await room.localParticipant.sendText(text, { topic: chatTopic });
      setMessages((list) => [
        ...list.slice(-199),
        { id: nextId.current++, from: 'You', text, host: false, mine: true },
      ]);
    } catch {
      setError('Not sent: the connection dropped. Try again in a moment.');
    }
  };

  return (
    <section className="chat" aria-label="Chat">
      <ol ref={listRef} className="messages" aria-live="polite">
        {messages.map((m) => (
          <li
            key={m.id}
            className={`message ${m.host ? 'host' : ''} ${m.mine ? 'mine' : ''}`}
            data-from={m.from}
          >
            <strong>{m.from}</strong>
            {m.host && <span className="host-mark">host</span>} <span className="text">{m.text}</span>
          </li>
        ))}
      </ol>
      <form onSubmit={send}>
        <input
          aria-label="Message"
          data-testid="chat-input"
          value={draft}
          maxLength={maxMessageLength}
          placeholder="Ask the host…"
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" data-testid="chat-send">
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
