// Types for scripts/livekit-server.mjs (plain JS: it runs before the workspace is installed).
export const livekitServerVersion: string;
export const livekitServerBin: string;
export function ensureLivekitServer(log?: (message: string) => void): string;
