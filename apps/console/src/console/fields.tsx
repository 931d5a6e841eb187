import type { FieldErrors } from '../api';

/** A field's validation message, next to it (its id is `<field id>-error`, for aria-describedby). */
export function FieldError({ id, errors, path }: { id: string; errors: FieldErrors; path: string }) {
  const message = errors[path];
  return message ? (
    <p id={`${id}-error`} className="field-error" role="alert">
      {message}
    </p>
  ) : null;
}
