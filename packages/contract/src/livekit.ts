// The names scenecast puts into LiveKit: participant attributes from the tokens, roles, the chat topic.
// Cameras, the token service and the viewer meet only through these.

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
} as const;
export type Role = (typeof roles)[keyof typeof roles];

/** Chat messages are LiveKit text streams on this topic. */
export const chatTopic = 'chat';

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
