// Types for scripts/gst-whipsink.mjs (plain JS, like scripts/livekit-server.mjs).
export const whipsinkVersion: string;
export const whipsinkPluginDir: string;
export function ensureWhipsink(log?: (message: string) => void): string;
