// What a running load test shows: a live bar in a terminal (cli-progress), a plain line every few seconds
// otherwise (CI logs).
import { SingleBar } from 'cli-progress';

export interface ProgressState {
  connected: number;
  target: number;
  joinP95: number | null;
  switchP95: number | null;
  errors: number;
  remainingSeconds: number;
}

export interface Progress {
  update(state: ProgressState): void;
  stop(): void;
}

const ms = (value: number | null) => (value === null ? '–' : `${value} ms`);

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format:
        'viewers {bar} {value}/{total} | join p95 {join} | switch p95 {switch} | errors {errors} | {remaining} s left',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
    });
    let started = false;
    return {
      update(s) {
        const payload = {
          join: ms(s.joinP95),
          switch: ms(s.switchP95),
          errors: s.errors,
          remaining: Math.max(0, Math.round(s.remainingSeconds)),
        };
        if (!started) {
          bar.start(s.target, s.connected, payload);
          started = true;
        } else bar.update(s.connected, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(s) {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      stream.write(
        `viewers ${s.connected}/${s.target}, join p95 ${ms(s.joinP95)}, switch p95 ${ms(s.switchP95)}, errors ${s.errors}, ${Math.max(0, Math.round(s.remainingSeconds))} s left\n`,
      );
    },
    stop() {},
  };
}
