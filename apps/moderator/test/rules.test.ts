// The chat rules on their own, on a clock the test moves.
import { visibleText } from '@scenecast/contract';
import { describe, expect, it } from 'vitest';
import { ChatRules, defaultChatLimits } from '../src/rules.js';

function rules(limits = {}) {
  let now = 0;
  const r = new ChatRules({ ...defaultChatLimits, ...limits }, () => now);
  return { r, advance: (ms: number) => (now += ms) };
}

describe('chat rules', () => {
  it('admits each sender at its own pace: a burst of three, then one a second; the host is not limited', () => {
    const { r, advance } = rules();
    const admitted = (who: string, n: number, host = false) =>
      Array.from({ length: n }, () => r.admit(who, { host })).filter((v) => v === undefined).length;
    expect(admitted('a', 5)).toBe(3);
    expect(r.admit('a')).toEqual({
      relay: false,
      reason: 'one message a second, please',
      abuse: 'flooding the chat',
    });
    expect(admitted('b', 5)).toBe(3);
    advance(1000);
    expect(admitted('a', 5)).toBe(1);
    expect(admitted('host', 50, true)).toBe(50);
  });

  it('relays at most the show-wide pace, whoever sends; the host always', () => {
    const { r, advance } = rules();
    const relayed = Array.from({ length: 15 }, () => r.judge('hi')).filter((v) => v.relay).length;
    expect(relayed).toBe(defaultChatLimits.roomPerSecond);
    expect(r.judge('hi')).toEqual({ relay: false, reason: 'the chat is busy; try again in a moment' });
    expect(r.judge('hi from the studio', { host: true })).toEqual({
      relay: true,
      text: 'hi from the studio',
    });
    advance(500);
    expect(Array.from({ length: 15 }, () => r.judge('hi')).filter((v) => v.relay).length).toBe(5);
  });

  it('refuses empty and over-long messages; length counts characters, not UTF-16 units', () => {
    const { r } = rules();
    expect(r.judge('   \n ')).toEqual({ relay: false, reason: 'empty message' });
    expect(r.judge('x'.repeat(281))).toEqual({
      relay: false,
      reason: 'longer than 280 characters',
      abuse: 'over-long messages',
    });
    expect(r.judge('🐷'.repeat(280))).toMatchObject({ relay: true });
  });

  it('strips controls, bidi overrides and word-splitting invisibles from what it relays', () => {
    const { r } = rules();
    expect(r.judge('invoice\u202Egpj.exe')).toEqual({ relay: true, text: 'invoicegpj.exe' });
    expect(visibleText('a\u0000b\nc\u200Bd\u2067e\u0085f')).toBe('a b cde f');
  });

  it("masks a brand's words wherever they are, in any case or width, keeping the rest of the text as sent", () => {
    const { r } = rules();
    r.setWordList({ words: ['Scam', '假货'], action: 'mask' });
    expect(r.judge('this is a SCAM!')).toEqual({ relay: true, text: 'this is a ****!' });
    expect(r.judge('ｓｃａｍ，真的')).toEqual({ relay: true, text: '****，真的' });
    expect(r.judge('这是假货吗')).toEqual({ relay: true, text: '这是**吗' });
    expect(r.judge('sc\u200Bam')).toEqual({ relay: true, text: '****' });
    expect(r.judge('a fine ham')).toEqual({ relay: true, text: 'a fine ham' });
  });

  it('drops a message with a blocked word when the brand says so; no list, nothing blocked', () => {
    const { r } = rules();
    r.setWordList({ words: ['scam'], action: 'drop' });
    expect(r.judge('a scam')).toEqual({ relay: false, reason: 'a word in it is not allowed in this show' });
    r.setWordList(undefined);
    expect(r.judge('a scam')).toEqual({ relay: true, text: 'a scam' });
  });

  it('mutes at the fifth strike within 30 s, once; strikes spread out do not add up', () => {
    const { r, advance } = rules();
    const verdicts = Array.from({ length: 7 }, () => r.strike('flood'));
    expect(verdicts).toEqual([false, false, false, false, true, false, false]);
    for (let i = 0; i < 10; i++) {
      expect(r.strike('slow')).toBe(false);
      advance(8_000);
    }
  });
});
