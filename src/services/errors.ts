// Typed domain errors. Services throw these; the HTTP layer maps each code to
// its status in exactly one place (src/http/error-response.ts).

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'JOB_NOT_FOUND'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'JOB_CANCELLED'
  | 'JOB_TERMINAL'
  | 'WRONG_JOB_KIND'
  | 'CONFLICT'
  | 'APP_NOT_INSTALLED'
  | 'VERIFY_GATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'GITHUB_UNAVAILABLE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class DomainError extends Error {
  /** For the 503 codes: when the client should try again (the `Retry-After` header), in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options: { retryAfterSeconds?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const unauthenticated = (message = 'a valid bearer token is required') =>
  new DomainError('UNAUTHENTICATED', message);
export const permissionDenied = (message: string) => new DomainError('PERMISSION_DENIED', message);
export const jobNotFound = (id: string) => new DomainError('JOB_NOT_FOUND', `job ${id} not found`);
export const notFound = (what: string, id?: string) =>
  new DomainError('NOT_FOUND', id === undefined ? `${what} not found` : `${what} ${id} not found`);
export const validationFailed = (message: string, details?: unknown) =>
  new DomainError('VALIDATION_FAILED', message, details);
export const conflict = (message: string) => new DomainError('CONFLICT', message);
/** 503 UNAVAILABLE: the database cannot be reached (SPEC §4). */
export const databaseUnavailable = (retryAfterSeconds?: number) =>
  new DomainError('UNAVAILABLE', 'the database cannot be reached right now; try again shortly', undefined, { retryAfterSeconds });
/** 503 UNAVAILABLE: a lock the call needed stayed held longer than the database's lock_timeout; nothing was written. */
export const databaseBusy = (message = 'the database is busy with this work right now; try again shortly', retryAfterSeconds?: number) =>
  new DomainError('UNAVAILABLE', message, undefined, { retryAfterSeconds });
