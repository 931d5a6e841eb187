/**
 * What can go wrong, in the words of Twirp's (and gRPC's) codes. Code inside the SFU throws `SfuError`
 * with one of these and a message for the client; only the edges turn it into their own answer: an HTTP
 * status for `/rtc` and `/rtc/validate` (service/rtc-service), a Twirp error (service/room-service), a
 * `RequestResponse` on the signalling socket (signal/signal-handler).
 */
export type ErrorCode =
  /** No, a malformed, an expired or a wrongly signed token, or one that cannot join. */
  | 'unauthenticated'
  /** The token's grants do not allow this. */
  | 'permission_denied'
  | 'not_found'
  /** A well-formed request with a value that cannot be honoured. */
  | 'invalid_argument'
  /** A request that could not be decoded. */
  | 'malformed'
  /** A limit reached: room full, too many tracks, a name or metadata too long. */
  | 'limit_exceeded'
  | 'internal';

export class SfuError extends Error {
  override readonly name = 'SfuError';

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Any thrown value as an SfuError; what is not one is an internal error whose details stay in the logs. */
export function asSfuError(error: unknown): SfuError {
  return error instanceof SfuError ? error : new SfuError('internal', 'internal error');
}
