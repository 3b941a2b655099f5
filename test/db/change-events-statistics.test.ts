// change_events.payload has no planner statistics (migration 20261203190000): no
// query filters on it, and computing them made each autovacuum ANALYZE of the
// table (one per ~10 % growth, and every claim adds an event) hold its snapshot
// 3.4 times as long (370-385 ms against 109-114 ms at 200,000 events), while
// claimed jobs' index entries could not be cleaned and claims read hundreds of
// buffers (BENCHMARKS.md, session 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 1 });
});
afterAll(async () => {
  await database?.drop();
});

describe('statistics of change_events', () => {
  it('are not gathered for payload, and still are for the columns queries filter on', async () => {
    const { rows } = await database.db.pool.query<{ attname: string; target: number | null }>(
      `SELECT attname, attstattarget AS target FROM pg_attribute
        WHERE attrelid = 'change_events'::regclass AND attname IN ('payload', 'created_at', 'seq') ORDER BY attname`,
    );
    // null (or -1 before PostgreSQL 17): the default target
    expect(rows.map((row) => [row.attname, row.target === -1 ? null : row.target])).toEqual([
      ['created_at', null],
      ['payload', 0],
      ['seq', null],
    ]);
  });

  it('ANALYZE leaves payload out of pg_stats', async () => {
    await database.db.pool.query(`INSERT INTO change_events (type, payload) SELECT 'test', json_build_object('n', g)::jsonb FROM generate_series(1, 200) g`);
    await database.db.pool.query('ANALYZE change_events');
    const { rows } = await database.db.pool.query<{ attname: string }>(`SELECT attname FROM pg_stats WHERE tablename = 'change_events' ORDER BY attname`);
    expect(rows.map((row) => row.attname)).not.toContain('payload');
    expect(rows.map((row) => row.attname)).toContain('created_at');
  });
});
