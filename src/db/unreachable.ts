// Is this error the database being out of reach? It decides a 503 UNAVAILABLE
// (src/http/error-response.ts) and a background retry (services/background/task-failures.ts).
// How a database that is down, restarting or out of reach shows itself, as seen
// (test/reliability/database-away.test.ts) through pg, pg-pool, Prisma 7 and its pg
// driver adapter: socket errors, the server ending sessions, a pool that cannot
// connect in time, and Prisma's codes for the same.
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** SQLSTATE: class 08 (connection exceptions), 57P01-03 shutdown / crash / not yet accepting, 53300 too many connections */
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

/**
 * True when a statement gave up waiting for a lock (SQLSTATE 55P03: lock_timeout,
 * which every app connection sets, src/db/client.ts): the database is there but
 * busy, so the call is worth repeating (503 UNAVAILABLE, a background retry).
 */
export function isLockTimeout(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 6) return false;
  const e = error as { code?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown; meta?: { code?: unknown; driverAdapterError?: unknown } };
  if (e.code === '55P03' || e.originalCode === '55P03' || e.meta?.code === '55P03') return true;
  if (typeof e.message === 'string' && /canceling statement due to lock timeout/i.test(e.message)) return true;
  return [e.cause, e.meta?.driverAdapterError].some((cause) => isLockTimeout(cause, depth + 1));
}
