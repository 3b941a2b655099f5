// The one place where errors become HTTP answers (SPEC §4 envelope): domain
// errors by their code, a database that cannot be reached as 503 UNAVAILABLE,
// anything else as 500 INTERNAL (a bug).
import type { ServerResponse } from 'node:http';
import { databaseUnavailable, DomainError, type ErrorCode } from '../services/errors.ts';

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
  const domain = error instanceof DomainError ? error : isDatabaseUnreachable(error) ? databaseUnavailable() : null;
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

// How a database that is down, restarting or out of reach shows itself, as seen
// (test/reliability/database-away.test.ts) through pg, pg-pool, Prisma 7 and its pg
// driver adapter: socket errors, the server ending sessions, a pool that cannot
// connect in time, and Prisma's codes for the same.
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** SQLSTATE: 08xxx connection exceptions, 57P01-03 shutdown / crash / not yet accepting, 53300 too many connections */
const unreachableSqlState = /^(08...|57P0[123]|53300)$/;
/** Prisma: can't reach (P1001), timed out (P1002, P1008), connection closed (P1017), pool timeout (P2024) */
const prismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** @prisma/adapter-pg's error kinds for the same */
const adapterKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const messages = [
  /Connection terminated/i, // pg: the socket closed, or connectionTimeoutMillis passed
  /timeout exceeded when trying to connect/i, // pg-pool: no connection within connectionTimeoutMillis
  /Client has encountered a connection error and is not queryable/i, // pg: a client whose connection broke
  /Can't reach database server/i, // Prisma
  /Unable to start a transaction in the given time/i, // Prisma: no connection within the transaction's maxWait
];

/** True when `error` (or what caused it) says the database cannot be reached. */
export function isDatabaseUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 6) return false;
  const e = error as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; errors?: unknown; meta?: { driverAdapterError?: unknown }; request?: unknown };
  // a failed HTTP call (Octokit's RequestError, a deadline, fetch's TypeError) can carry the same socket codes: not the database
  if (e.request !== undefined || (error as Error).name === 'AbortError' || (error instanceof TypeError && e.message === 'fetch failed')) return false;
  if (typeof e.code === 'string' && (socketCodes.has(e.code) || unreachableSqlState.test(e.code) || prismaCodes.has(e.code))) return true;
  if (typeof e.kind === 'string' && adapterKinds.has(e.kind)) return true;
  if (typeof e.message === 'string' && messages.some((m) => m.test(e.message as string))) return true;
  const causes = [e.cause, e.meta?.driverAdapterError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return causes.some((cause) => isDatabaseUnreachable(cause, depth + 1));
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
