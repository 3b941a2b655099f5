// The one place where errors become HTTP answers (SPEC §4 envelope): domain
// errors by their code, a database that cannot be reached or that kept a lock
// past lock_timeout as 503 UNAVAILABLE, anything else as 500 INTERNAL (a bug).
import type { ServerResponse } from 'node:http';
import { isDatabaseUnreachable, isLockTimeout } from '../db/unreachable.ts';
import { databaseBusy, databaseUnavailable, DomainError, type ErrorCode } from '../services/errors.ts';

const statusByCode: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  JOB_NOT_FOUND: 404,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  JOB_CANCELLED: 409,
  JOB_TERMINAL: 409,
  WRONG_JOB_KIND: 409,
  CONFLICT: 409,
  APP_NOT_INSTALLED: 422,
  VERIFY_GATE: 422,
  PAYLOAD_TOO_LARGE: 413,
  GITHUB_UNAVAILABLE: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Retry-After of a 503 whose error did not say: GitHub's faults and the database's restarts are usually over within seconds. */
export const defaultRetryAfterSeconds = 5;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  /** `retry-after` for the 503 codes */
  headers: Record<string, string>;
  /** the seconds in `retry-after`, for answers that are not HTTP (MCP tool results) */
  retryAfterSeconds?: number;
}

export function errorResponse(error: unknown): ErrorAnswer {
  const domain =
    error instanceof DomainError ? error : isDatabaseUnreachable(error) ? databaseUnavailable() : isLockTimeout(error) ? databaseBusy() : null;
  if (domain) {
    const body: ErrorBody = { error: { code: domain.code, message: domain.message } };
    if (domain.details !== undefined) body.error.details = domain.details;
    const status = statusByCode[domain.code];
    if (status !== 503) return { status, body, headers: {} };
    const retryAfterSeconds = Math.max(1, Math.ceil(domain.retryAfterSeconds ?? defaultRetryAfterSeconds));
    return { status, body, headers: { 'retry-after': String(retryAfterSeconds) }, retryAfterSeconds };
  }
  // Anything else is a bug: say so without a stack trace or internals.
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, headers: {} };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}
