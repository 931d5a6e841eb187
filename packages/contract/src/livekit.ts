// The names scenecast puts into LiveKit: participant attributes from the tokens, roles, the chat and its
// moderator. Cameras, the token service, the moderator and the viewer meet only through these.

/** Participant attributes the token service sets; viewers read them (participant.attributes). */
export const attributes = {
  /** The scene a camera films (a scene id of its show). */
  scene: 'scenecast.scene',
  /** The feed a camera publishes for. */
  feed: 'scenecast.feed',
  /** What the participant is in the show: one of {@link roles}. */
  role: 'scenecast.role',
} as const;

export const roles = {
  viewer: 'viewer',
  /** The studio's feed: the host, whose chat messages viewers see marked. */
  host: 'host',
  /** Any other scene's feed. */
  camera: 'camera',
  /** The chat moderator (apps/moderator). */
  moderator: 'moderator',
  /** The brand's console watching its feeds' health: hidden, subscribes only. */
  monitor: 'monitor',
} as const;
export type Role = (typeof roles)[keyof typeof roles];

/**
 * Chat messages are LiveKit text streams on this topic. Viewers and the host send them to the moderator
 * only; everyone renders only what the moderator relays, so a flood sent to everyone directly is shown at
 * most at the sender's allowed pace (the moderator receives it too, relays within the pace, and mutes).
 */
export const chatTopic = 'chat';

/** The moderator's participant identity in every show. */
export const moderatorIdentity = 'scenecast-moderator';

/** Text-stream attributes of what the moderator sends: what it is, and about whom. */
export const chatAttributes = {
  kind: 'scenecast.chat.kind',
  /** The identity of the viewer or host the line is from or about. */
  from: 'scenecast.chat.from',
  name: 'scenecast.chat.name',
  /** `host` ({@link roles}) for the host's messages. */
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

/**
 * A camera that joins without scenecast's attributes (OBS through an ingress) names its scene in its
 * identity instead: `camera-<scene>`.
 */
export const cameraIdentity = (sceneId: string) => `camera-${sceneId}`;

/** The scene a participant films: its scene attribute, else a `camera-<scene>` identity. */
export function sceneOf(participant: {
  identity: string;
  attributes: Readonly<Record<string, string>>;
}): string | undefined {
  return participant.attributes[attributes.scene] || /^camera-(.+)$/.exec(participant.identity)?.[1];
}
