import type { ApiError } from './problem';

/** The rules a field broke, from the API's problem details, shown under the field and tied to
 *  it with `aria-describedby={errorId(field)}`. */
export function FieldErrors({ error, field }: { error: unknown; field: string }) {
  const rules = isApiError(error) ? error.errorsFor(field) : [];
  if (rules.length === 0) return null;
  return (
    <p className="cf-field-error" id={errorId(field)} role="alert">
      {rules.join('; ')}
    </p>
  );
}

export function errorId(field: string): string {
  return `error-${field.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof Error && error.name === 'ApiError';
}

/** Whether the API refused this field. */
export function invalid(error: unknown, field: string): boolean {
  return isApiError(error) && error.errorsFor(field).length > 0;
}

/** What went wrong, for the top of a form: the problem's detail (the fields say the rest). */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="cf-alert" role="alert">
      {message}
    </div>
  );
}
