// One embedded SFU per test file, and what the file's tests open, closed after them (last opened first).
import { afterAll, beforeAll } from 'vitest';
import { type RunningSfu, startSfu } from '../src/index.js';

export interface SfuFixture {
  /** The file's SFU (started before its first test). */
  readonly sfu: RunningSfu;
  /** Close this after the file's tests, before the SFU. */
  closing(close: () => Promise<void> | void): void;
}

export function sfuForFile(): SfuFixture {
  let running: RunningSfu | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    running = await startSfu({ port: 0 });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await running?.close();
  });
  return {
    get sfu() {
      if (!running) throw new Error('the SFU starts in beforeAll: read it inside a test');
      return running;
    },
    closing: (close) => void closers.push(close),
  };
}
