import { moderatorGrant, signGrant } from '@scenecast/contract/grants';
import { RoomServiceClient } from 'livekit-server-sdk';
import { type Logger, pino } from 'pino';
import { type ChatLimits, ChatRules, defaultChatLimits, type WordList } from './rules.js';
import { ShowModerator } from './show-moderator.js';
import { metrics } from './telemetry.js';

export interface ModeratorOptions {
  livekit: { url: string; apiKey: string; apiSecret: string };
  limits?: Partial<ChatLimits>;
  /** A show's brand's word list; undefined: none. Asked when the moderator joins and every `wordListMs`. */
  wordList?: (show: string) => Promise<WordList | undefined>;
  /** How often the engine is asked which shows have people in them. */
  pollMs?: number;
  wordListMs?: number;
  log?: Logger;
}

export interface RunningModerator {
  /** The shows the moderator is in now. */
  shows(): string[];
  /** When the engine last answered which shows there are (performance.now()); undefined: never yet. */
  lastPoll(): number | undefined;
  close(): Promise<void>;
}

/**
 * Joins every show (LiveKit room) that has someone in it, as an agent participant that subscribes to
 * nothing, and moderates its chat; leaves a show when everyone else has. Shows are found by asking the
 * engine's RoomService (ListRooms), so the same moderator serves the embedded SFU, a LiveKit cluster and
 * LiveKit Cloud.
 */
export async function startModerator(options: ModeratorOptions): Promise<RunningModerator> {
  const { livekit } = options;
  const log = options.log ?? pino({ name: 'moderator', level: process.env.LOG_LEVEL ?? 'info' });
  const limits = { ...defaultChatLimits, ...options.limits };
  const roomService = new RoomServiceClient(
    livekit.url.replace(/^ws/, 'http'),
    livekit.apiKey,
    livekit.apiSecret,
  );
  const moderators = new Map<string, { moderator: ShowModerator; rules: ChatRules; wordsAt: number }>();
  let stopped = false;

  const token = (show: string) => signGrant(livekit, moderatorGrant(show), 24 * 3600);

  const refreshWords = async (show: string, rules: ChatRules) => {
    if (!options.wordList) return;
    try {
      rules.setWordList(await options.wordList(show));
    } catch (error) {
      // Keep the list it had: a brief outage of the token service must not unmask the chat.
      log.warn({ err: error, show }, 'word list not refreshed');
    }
  };

  const join = async (show: string) => {
    const rules = new ChatRules(limits);
    await refreshWords(show, rules);
    const moderator = new ShowModerator({
      url: livekit.url,
      token: await token(show),
      show,
      rules,
      roomService,
      log,
      onClosed: () => {
        if (moderators.get(show)?.moderator === moderator) moderators.delete(show);
      },
    });
    moderators.set(show, { moderator, rules, wordsAt: Date.now() });
    try {
      await moderator.start();
      log.info({ show }, 'moderating');
    } catch (error) {
      moderators.delete(show);
      log.warn({ err: error, show }, 'could not join the show');
    }
  };

  let lastPoll: number | undefined;
  const poll = async () => {
    const rooms = await roomService.listRooms();
    lastPoll = performance.now();
    metrics.shows.set(moderators.size);
    for (const room of rooms) {
      const present = moderators.get(room.name);
      if (present) {
        if (Date.now() - present.wordsAt > (options.wordListMs ?? 30_000)) {
          present.wordsAt = Date.now();
          await refreshWords(room.name, present.rules);
        }
      } else if (room.numParticipants > 0 && !stopped) await join(room.name);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await poll().catch((error) => log.warn({ err: error }, 'could not list the shows'));
    if (!stopped) timer = setTimeout(loop, options.pollMs ?? 2_000);
  };
  await loop();

  return {
    shows: () => [...moderators.keys()],
    lastPoll: () => lastPoll,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...moderators.values()].map(({ moderator }) => moderator.close()));
    },
  };
}
