// The one place where domain errors become HTTP answers (SPEC §4 envelope).
import type { ServerResponse } from 'node:http';
import { DomainError, type ErrorCode } from '../services/errors.ts';

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
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: statusByCode[error.code], body };
  }
  // Anything else is a bug: say so without a stack trace or internals.
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
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
