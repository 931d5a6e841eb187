import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; tokens and secrets never reach them. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: 'sfu',
    level,
    redact: { paths: ['token', 'secret', '*.token', '*.secret', 'access_token'], censor: '[redacted]' },
  });
}
