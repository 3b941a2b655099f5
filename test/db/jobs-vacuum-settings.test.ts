// The jobs table's autovacuum settings (issue 16, migrations 20261203060200 and
// 20261203160000): a claim walks the claimed entries at the head of
// jobs_queued_claim_idx until VACUUM removes them, so autovacuum must start
// after a fixed number of dead rows, not after a share of the table (at a
// million jobs 1 % meant ~3,700 claims between rounds; bench/support/claim-churn.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 1 });
});
afterAll(async () => {
  await database?.drop();
});

describe('autovacuum of jobs', () => {
  it('starts after 1,000 dead rows whatever the size of the table, unthrottled, and cleans the indexes', async () => {
    const { rows } = await database.db.pool.query<{ options: string[] | null }>(`SELECT reloptions AS options FROM pg_class WHERE oid = 'jobs'::regclass`);
    const options = Object.fromEntries((rows[0]?.options ?? []).map((option) => option.split('=') as [string, string]));
    expect(options).toMatchObject({
      autovacuum_vacuum_scale_factor: '0',
      autovacuum_vacuum_threshold: '1000',
      autovacuum_vacuum_cost_delay: '0',
      vacuum_index_cleanup: 'on',
    });
  });

  it('is due at a million rows once 1,000 rows are dead (what autovacuum computes: threshold + scale factor × rows)', async () => {
    // the same arithmetic as autovacuum.c's relation_needs_vacanalyze, from the table's
    // own options (falling back to the server's), for a table of a million rows
    const { rows } = await database.db.pool.query<{ due_after: number }>(`
      WITH o AS (SELECT split_part(option, '=', 1) AS name, split_part(option, '=', 2) AS value
                   FROM pg_class, unnest(reloptions) AS option WHERE oid = 'jobs'::regclass)
      SELECT (coalesce((SELECT value FROM o WHERE name = 'autovacuum_vacuum_threshold'), current_setting('autovacuum_vacuum_threshold'))::float8
            + coalesce((SELECT value FROM o WHERE name = 'autovacuum_vacuum_scale_factor'), current_setting('autovacuum_vacuum_scale_factor'))::float8 * 1e6)::int AS due_after`);
    expect(rows[0]!.due_after).toBe(1000);
  });
});
