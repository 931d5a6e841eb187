// How viewers, the host and the moderator talk (LiveKit text streams): viewers send to the moderator
// only; everyone renders only what the moderator relays. A flood sent to everyone directly is therefore
// never shown, and the moderator, which receives it too, mutes its sender.

/** Chat messages are LiveKit text streams on this topic. */
export const chatTopic = 'chat';

/** The moderator's participant identity in every show (its token is minted with the API secret). */
export const moderatorIdentity = 'scenecast-moderator';

/** The participant attribute holding a participant's role (set by the token service). */
export const roleAttribute = 'scenecast.role';
export const hostRole = 'host';

/** Attributes of what the moderator sends: what it is, and about whom. */
export const chatAttributes = {
  kind: 'scenecast.chat.kind',
  /** The identity of the viewer or host the line is from or about. */
  from: 'scenecast.chat.from',
  name: 'scenecast.chat.name',
  /** `host` for the host's messages. */
  role: 'scenecast.chat.role',
} as const;

export const chatKinds = {
  /** A relayed message; the text is the message. */
  message: 'message',
  /** Someone was muted (may no longer send); the text says why. */
  muted: 'muted',
  /** Someone was removed from the show. */
  removed: 'removed',
  /** To the sender only: this message was not relayed; the text says why. */
  refused: 'refused',
} as const;
export type ChatKind = (typeof chatKinds)[keyof typeof chatKinds];
