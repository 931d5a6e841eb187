/** The engines scenecast runs on: the embedded SFU (apps/sfu, the default) or the real livekit-server. */
export const engineNames = ['embedded', 'livekit'] as const;
export type EngineName = (typeof engineNames)[number];

/** The dev keys both engines start with (livekit-server --dev's). */
export const devKeys = { apiKey: 'devkey', apiSecret: 'secret' } as const;

/** The engine named by SCENECAST_ENGINE (default embedded); anything else is refused by name. */
export function selectedEngine(env: NodeJS.ProcessEnv = process.env): EngineName {
  const value = env.SCENECAST_ENGINE || 'embedded';
  if (!(engineNames as readonly string[]).includes(value))
    throw new Error(`SCENECAST_ENGINE must be one of ${engineNames.join(', ')}; got "${value}"`);
  return value as EngineName;
}
