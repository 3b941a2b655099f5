// A transaction on one connection of the app's pg pool, for hot paths that
// need a lock and a decision in TypeScript between their statements (Prisma's
// interactive transactions cost ~1 ms of CPU each; BENCHMARKS.md).
import type pg from 'pg';
import type { Queryable } from './queryable.ts';

export async function withTransaction<T>(pool: pg.Pool, work: (sql: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
