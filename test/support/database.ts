// A fresh, migrated database for one test file: cloned from the run's template
// (see ./global-setup.ts), so files never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.ts';

export interface TestDatabase {
  url: string;
  /** The app's handle on this database (Prisma + pg pool), closed by drop(). */
  db: Database;
  /** Empties every app table (not _prisma_migrations, not graphile_worker) and restarts sequences. */
  reset(): Promise<void>;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('testDatabaseAdminUrl');
  const template = inject('testDatabaseTemplate');
  const prefix = inject('testDatabasePrefix');
  if (!adminUrl || !template || !prefix) {
    throw new Error('no test database server: run the tests through vitest.config.ts (its globalSetup starts one)');
  }
  const name = `${prefix}${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));

  const url = withDatabase(adminUrl, name);
  const db = connectDatabase(url, { max: options.poolSize ?? 5 });
  let dropped = false;
  return {
    url,
    db,
    async reset() {
      await truncateAppTables(db.pool);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.close();
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** An empty database (no migrations applied), for tests of the migrations themselves. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('testDatabaseAdminUrl');
  const name = `${inject('testDatabasePrefix')}${process.pid}_empty_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  return {
    url: withDatabase(adminUrl, name),
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** One TRUNCATE for all tables: far faster than a DELETE per table, and it ignores FK order. */
export async function truncateAppTables(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ qualified: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS qualified
       FROM pg_tables
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'graphile_worker')
        AND schemaname NOT LIKE 'pg\\_%'
        AND tablename <> '_prisma_migrations'`,
  );
  if (rows.length === 0) return;
  await pool.query(`TRUNCATE ${rows.map((row) => row.qualified).join(', ')} RESTART IDENTITY CASCADE`);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
