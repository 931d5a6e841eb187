import { RoomServiceClient, ServerError } from 'livekit-server-sdk';
import type { Config } from '../config.js';
import { HttpError } from '../http/problem.js';

export interface RoomControl {
  /**
   * Disconnects a participant from a show's room; one that is not there is already gone. An engine that
   * cannot be reached is a 502 for the caller.
   */
  disconnect(showId: string, identity: string): Promise<void>;
}

/** The engine's RoomService (LiveKit's server API), at the URL tokens point to. */
export function roomControl(config: Config): RoomControl {
  return {
    async disconnect(showId, identity) {
      // Read per call: the engine may start after the service (setLivekitUrl).
      const { url, apiKey, apiSecret } = config.livekit;
      const rooms = new RoomServiceClient(url.replace(/^ws/, 'http'), apiKey, apiSecret);
      try {
        await rooms.removeParticipant(showId, identity);
      } catch (error) {
        if (error instanceof ServerError && error.status === 404) return;
        throw new HttpError(
          502,
          `the engine could not be reached to disconnect the camera (${(error as Error).message}); try again`,
        );
      }
    },
  };
}
