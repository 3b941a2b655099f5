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
  | 'INTERNAL';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
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
