// What the moderator relays: the chat rules of one show, without LiveKit, so they are tested alone.
import { type ChatPolicy, visibleText } from '@scenecast/contract';

export interface ChatLimits {
  /** Characters (code points) a message may have; the viewer's input stops there too. */
  maxLength: number;
  /** Messages a second each viewer may send, sustained, with bursts of `perSenderBurst`. */
  perSenderPerSecond: number;
  perSenderBurst: number;
  /** Messages a second relayed for the whole show: beyond what anyone can read, chat is noise. */
  roomPerSecond: number;
  /** Refusals for abuse (too fast, too long, not chat) within `strikeWindowMs` that mute the sender. */
  muteAfterStrikes: number;
  strikeWindowMs: number;
}

/**
 * One message a second per viewer (the viewer's own pace), bursts of three; ten a second for the show
 * (a reader follows fewer); five abusive sends within 30 s mute — a script trips it at once, a person
 * pressing Enter fast does not.
 */
export const defaultChatLimits: ChatLimits = {
  maxLength: 280,
  perSenderPerSecond: 1,
  perSenderBurst: 3,
  roomPerSecond: 10,
  muteAfterStrikes: 5,
  strikeWindowMs: 30_000,
};

/** A brand's blocked words, and whether a message with one is masked (`***`) or not relayed at all. */
export interface WordList {
  words: readonly string[];
  action: ChatPolicy['action'];
}

export type Verdict =
  | { relay: true; text: string }
  /**
   * `reason` is told the sender; `abuse`, when the refusal counts towards a mute (abuse, not a slip), is
   * what the show is told the sender was muted for.
   */
  | { relay: false; reason: string; abuse?: string };
export type Refusal = Extract<Verdict, { relay: false }>;

/** A message over the length limit: a script, since the viewer's input stops there. */
export const tooLong = (maxLength: number): Refusal => ({
  relay: false,
  reason: `longer than ${maxLength} characters`,
  abuse: 'over-long messages',
});

interface Bucket {
  tokens: number;
  at: number;
}

/** Continuous refill up to `burst`; takes one token if there is one. */
function take(bucket: Bucket, perSecond: number, burst: number, now: number): boolean {
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

const normalizeWord = (word: string) => word.normalize('NFKC').toLowerCase();
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The rules for one show's chat. Words match anywhere in a message, case-insensitively, after NFKC
 * normalisation (full-width letters and ligatures count as their plain forms): chat in Chinese has no
 * spaces between words, so a whole-word match would miss them.
 */
export class ChatRules {
  private readonly senders = new Map<string, { bucket: Bucket; strikes: number[] }>();
  private readonly room: Bucket;
  private blocked: RegExp | undefined;
  private action: WordList['action'] = 'mask';

  constructor(
    readonly limits: ChatLimits = defaultChatLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.room = { tokens: limits.roomPerSecond, at: now() };
  }

  setWordList(list: WordList | undefined): void {
    const words = (list?.words ?? []).map(normalizeWord).filter(Boolean);
    this.blocked = words.length > 0 ? new RegExp(words.map(escapeRegExp).join('|'), 'giu') : undefined;
    this.action = list?.action ?? 'mask';
  }

  /**
   * Whether a sender may send now: its own rate, asked before its message is even read, so a flood costs
   * little. The host is not limited (a brand's own studio feed).
   */
  admit(sender: string, { host = false } = {}): Refusal | undefined {
    if (host) return undefined;
    const now = this.now();
    if (
      !take(this.state(sender, now).bucket, this.limits.perSenderPerSecond, this.limits.perSenderBurst, now)
    )
      return { relay: false, reason: 'one message a second, please', abuse: 'flooding the chat' };
    return undefined;
  }

  /** Whether to relay an admitted message, and as what text: its length, the show's pace, the words. */
  judge(raw: string, { host = false } = {}): Verdict {
    const text = visibleText(raw).trim();
    if (!text) return { relay: false, reason: 'empty message' };
    if ([...text].length > this.limits.maxLength) return tooLong(this.limits.maxLength);
    if (!host && !take(this.room, this.limits.roomPerSecond, this.limits.roomPerSecond, this.now()))
      return { relay: false, reason: 'the chat is busy; try again in a moment' };
    if (this.blocked) {
      const masked = this.mask(text);
      if (masked !== text) {
        if (this.action === 'drop')
          return { relay: false, reason: 'a word in it is not allowed in this show' };
        return { relay: true, text: masked };
      }
    }
    return { relay: true, text };
  }

  /**
   * The text with every blocked word's characters starred. Matched on each character's NFKC lower-case
   * form (so full-width letters count as plain ones), while the text relayed keeps its own characters
   * (a full-width comma in Chinese stays one).
   */
  private mask(text: string): string {
    const chars = [...text];
    const forms = chars.map(normalizeWord);
    const starts: number[] = [];
    let normalized = '';
    for (const form of forms) {
      starts.push(normalized.length);
      normalized += form;
    }
    const hidden = new Set<number>();
    for (const match of normalized.matchAll(this.blocked!)) {
      const end = match.index + match[0].length;
      chars.forEach((_, i) => {
        if (starts[i]! < end && starts[i]! + forms[i]!.length > match.index) hidden.add(i);
      });
    }
    return hidden.size === 0 ? text : chars.map((c, i) => (hidden.has(i) ? '*' : c)).join('');
  }

  /** Counts an abusive send; true when it is the one that reaches the mute threshold. */
  strike(sender: string): boolean {
    const now = this.now();
    const state = this.state(sender, now);
    state.strikes = state.strikes.filter((at) => now - at < this.limits.strikeWindowMs);
    state.strikes.push(now);
    return state.strikes.length === this.limits.muteAfterStrikes;
  }

  /** A participant left: its counts go with it, unless it struck lately (it may be back at once). */
  forget(sender: string): void {
    const now = this.now();
    const state = this.senders.get(sender);
    if (state && !state.strikes.some((at) => now - at < this.limits.strikeWindowMs))
      this.senders.delete(sender);
  }

  private state(sender: string, now: number) {
    let state = this.senders.get(sender);
    if (!state) {
      state = { bucket: { tokens: this.limits.perSenderBurst, at: now }, strikes: [] };
      this.senders.set(sender, state);
    }
    return state;
  }
}
