// The app's database handle: one pg.Pool shared by Prisma (through the pg
// adapter) and by the few hand-written SQL statements on hot paths.
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/**
 * How long a caller waits for a free connection (or a new one) before an error:
 * well inside GitHub's 10 s for a webhook's answer, so a busy or unreachable
 * database fails the delivery (GitHub logs it; the healer redelivers it) instead
 * of leaving GitHub waiting.
 */
export const defaultConnectionTimeoutMs = 5_000;

/**
 * The longest any statement of the app waits for a lock (PostgreSQL's lock_timeout,
 * on every connection of the pool). Without it a call whose transaction waits on a
 * lock another transaction holds (a failure report on its PBI's cascade lock) hung
 * for as long as the lock was held, past its transaction's own timeout (Prisma
 * does not cancel a running query). Now it ends in SQLSTATE 55P03, answered 503
 * UNAVAILABLE with Retry-After (nothing written) or retried in the background.
 * Below every interactive transaction's timeout (8 s for a webhook delivery).
 * Not for graphile-worker's own statements (its pool has none, server.ts): a job's
 * outcome must wait for a lock rather than fail, since a failed outcome write makes
 * graphile-worker give up its whole pool (runner-supervisor.ts).
 */
export const defaultLockTimeoutMs = 5_000;

export interface PoolOptions {
  max?: number;
  connectionTimeoutMs?: number;
  /** 0: no lock_timeout (graphile-worker's own pool: server.ts) */
  lockTimeoutMs?: number;
}

/** A pg.Pool on the app database with the app's session settings. */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  // TIMESTAMP columns hold UTC (Prisma writes UTC); now() in hand-written SQL must too
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? defaultConnectionTimeoutMs,
    options: `-c TimeZone=UTC -c lock_timeout=${options.lockTimeoutMs ?? defaultLockTimeoutMs}`,
  });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function connectDatabase(url: string, options: PoolOptions = {}): Database {
  const pool = createPool(url, options);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    url,
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}
