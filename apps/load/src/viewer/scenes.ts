// TODO(contract): these are the contract's `attributes.scene` and `sceneOf`; use them once packages/contract lands.

/** The participant attribute a camera's token carries to say which scene it films. */
export const sceneAttribute = 'scenecast.scene';

/** The scene a participant films: its scene attribute, else a `camera-<scene>` identity (OBS through an ingress). */
export function sceneOf(identity: string, attributes: Readonly<Record<string, string>>): string | undefined {
  return attributes[sceneAttribute] || /^camera-(.+)$/.exec(identity)?.[1];
}
