import { ApiError, ScenecastClient } from '@scenecast/contract';

/** The token service on this page's origin (the console's server proxies /v1 to it). */
export const api = new ScenecastClient();

/** What to tell a person about a failed call. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Field messages of a failed validation, by field path (`evidence.url`), from zod or the service. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(issues: ReadonlyArray<{ path: string | PropertyKey[]; message: string }>) {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const path = Array.isArray(issue.path) ? issue.path.map(String).join('.') : String(issue.path);
    errors[path] ??= issue.message;
  }
  return errors;
}

/** A service error's field messages, or the whole message under '' when it names no field. */
export function errorsOf(error: unknown): FieldErrors {
  if (error instanceof ApiError && error.issues.length > 0) return fieldErrors(error.issues);
  return { '': messageOf(error) };
}
