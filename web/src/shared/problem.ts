// RFC 9457 problem details, as both APIs answer errors (`application/problem+json`).

export interface FieldError {
  /** The request field (`title`, `categories[0]`, a header such as `If-Match`). */
  field: string;
  /** The rule it broke, in words. */
  rule: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** On 409 for a stale `If-Match`: the version the resource has now. */
  current_version?: number | null;
}

/** A request the API refused or could not answer. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** The rules a field broke, for showing beside it. */
  errorsFor(field: string): string[] {
    return (this.problem.errors ?? [])
      .filter((e) => e.field === field || e.field.startsWith(`${field}[`) || e.field.startsWith(`${field}.`))
      .map((e) => e.rule);
  }

  /** True when someone else changed the resource since it was read (stale `If-Match`). */
  get isConflict(): boolean {
    return this.status === 409 && this.problem.current_version != null;
  }
}

/** Turns any non-2xx response into an ApiError (problem+json or not). */
export async function problemOf(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as Partial<ProblemDetails>;
      return new ApiError({
        type: body.type ?? 'about:blank',
        title: body.title ?? response.statusText,
        status: body.status ?? response.status,
        detail: body.detail ?? body.title ?? response.statusText,
        errors: body.errors ?? [],
        current_version: body.current_version ?? null,
      });
    } catch {
      // fall through: a body that says it is JSON but is not
    }
  }
  return new ApiError({
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: response.status >= 500 || response.status === 0
      ? 'The service is not answering properly; try again in a moment.'
      : response.statusText || `HTTP ${response.status}`,
    errors: [],
  });
}
