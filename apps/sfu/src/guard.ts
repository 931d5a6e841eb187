import { createLogger, type Logger } from './logging.js';
import { metrics } from './telemetry.js';

/** A fault that keeps repeating is logged at most this often per place; the metric counts every one. */
const logIntervalMs = 60_000;
const lastLogged = new Map<string, number>();
/** For the media path, whose modules hold no logger of their own. */
let mediaLog: Logger | undefined;

/**
 * Records an exception caught at a callback boundary: counted in `livekit_callback_error_total{where}`,
 * logged with its context (at error level once a minute per place, so a fault a client can trigger
 * repeatedly cannot flood the logs).
 */
export function reportFault(
  where: string,
  log: Logger | undefined,
  error: unknown,
  context: object = {},
): void {
  metrics.callbackErrors.inc({ where });
  if (!log) mediaLog ??= createLogger();
  const logger = log ?? mediaLog!;
  const now = Date.now();
  const loud = now - (lastLogged.get(where) ?? Number.NEGATIVE_INFINITY) >= logIntervalMs;
  if (loud) lastLogged.set(where, now);
  logger[loud ? 'error' : 'debug'](
    { ...context, where, err: error },
    'callback failed; server keeps running',
  );
}

/**
 * Wraps a callback the event loop calls into (timer, socket, peer-connection or webhook event) so an
 * exception there, thrown or rejected, is reported and handed to `onFault` (e.g. disconnect the one
 * participant whose state can no longer be trusted) instead of taking the whole server down.
 */
export function guard<A extends unknown[]>(
  where: string,
  log: Logger | undefined,
  fn: (...args: A) => unknown,
  onFault?: (error: unknown) => void,
): (...args: A) => void {
  const fail = (error: unknown) => {
    reportFault(where, log, error);
    if (!onFault) return;
    try {
      onFault(error);
    } catch (second) {
      reportFault(`${where}:recovery`, log, second);
    }
  };
  return (...args: A) => {
    try {
      const result = fn(...args);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}
