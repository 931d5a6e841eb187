// The errors that end a run before it starts, each with its exit code (the CLI's interface).

export const exitCodes = {
  pass: 0,
  /** A threshold failed. */
  thresholdFailed: 1,
  /** Bad usage or scenario: the message names the field. */
  usage: 2,
  /** The target could not be reached (or has nothing to watch). */
  unreachable: 3,
  /** The generator, not the target, was the bottleneck: the numbers cannot be trusted. */
  invalid: 4,
  /** Stopped with Ctrl-C; the partial report is written. */
  interrupted: 130,
  /** A bug in the tool (EX_SOFTWARE), never a verdict. */
  internal: 70,
} as const;

export class UsageError extends Error {
  readonly exitCode = exitCodes.usage;
}

export class UnreachableError extends Error {
  readonly exitCode = exitCodes.unreachable;
}
