// prisma/migrations/20261203115600_cascade_step_position: the steps of cascades
// planned before it keep the order they were read in until then (created_at,
// then id), now stored as their position.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, defaultMigrationsDir, readMigrationList } from '../../src/db/migrations.ts';
import { createEmptyDatabase } from '../support/database.ts';

const migration = '20261203115600_cascade_step_position';

let empty: { url: string; drop(): Promise<void> };
let dir: string;
beforeAll(async () => {
  empty = await createEmptyDatabase();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'step-position-'));
});
afterAll(async () => {
  await empty?.drop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the cascade step position migration', () => {
  it('numbers the steps of each existing cascade from 0 in their old order', async () => {
    const all = (await readMigrationList(defaultMigrationsDir())).migrationDirectories.map((entry) => entry.path);
    expect(all).toContain(migration);
    const before = all.slice(0, all.indexOf(migration));
    for (const name of before) await fs.cp(path.join(defaultMigrationsDir(), name), path.join(dir, name), { recursive: true });
    await fs.copyFile(path.join(defaultMigrationsDir(), 'migration_lock.toml'), path.join(dir, 'migration_lock.toml'));
    await applyMigrations(empty.url, { migrationsDir: dir });

    const client = new pg.Client({ connectionString: empty.url });
    await client.connect();
    try {
      await client.query(`
        INSERT INTO users (id, name) VALUES ('u', 'u');
        INSERT INTO products (id, name, repo, repo_key, base_branch) VALUES ('p', 'P', 'acme/x', 'acme/x', 'main');
        INSERT INTO pbis (id, product_id, title, position) VALUES ('pbi', 'p', 'PBI', 0);
        INSERT INTO jobs (id, kind, status, user_id, product_id, pbi_id, updated_at) VALUES ('failed', 'TASK_IMPLEMENTATION', 'FAILED', 'u', 'p', 'pbi', now());
        INSERT INTO cascades (id, pbi_id, failed_job_id) VALUES ('one', 'pbi', 'failed'), ('two', 'pbi', 'failed');
        -- one: planned in one insert (one created_at), read by id; two: created apart, read by time against the ids
        INSERT INTO cascade_steps (id, cascade_id, branch, action, created_at, updated_at) VALUES
          ('s-b', 'one', 'b', 'DELETE_BRANCH', '2026-01-01 00:00:00', now()),
          ('s-a', 'one', 'a', 'DELETE_BRANCH', '2026-01-01 00:00:00', now()),
          ('s-c', 'one', 'c', 'DELETE_BRANCH', '2026-01-01 00:00:00', now()),
          ('t-1', 'two', 'later', 'DELETE_BRANCH', '2026-01-02 00:00:00', now()),
          ('t-2', 'two', 'earlier', 'DELETE_BRANCH', '2026-01-01 00:00:00', now());`);
      await fs.cp(path.join(defaultMigrationsDir(), migration), path.join(dir, migration), { recursive: true });
      expect((await applyMigrations(empty.url, { migrationsDir: dir })).applied).toEqual([migration]);
      const { rows } = await client.query<{ cascade_id: string; branch: string; position: number }>(
        'SELECT cascade_id, branch, position FROM cascade_steps ORDER BY cascade_id, position',
      );
      expect(rows).toEqual([
        { cascade_id: 'one', branch: 'a', position: 0 },
        { cascade_id: 'one', branch: 'b', position: 1 },
        { cascade_id: 'one', branch: 'c', position: 2 },
        { cascade_id: 'two', branch: 'earlier', position: 0 },
        { cascade_id: 'two', branch: 'later', position: 1 },
      ]);
      await expect(client.query(`INSERT INTO cascade_steps (id, cascade_id, branch, action, position, updated_at) VALUES ('dup', 'one', 'd', 'DELETE_BRANCH', 0, now())`)).rejects.toThrow(
        /cascade_steps_cascade_id_position_key/,
      );
    } finally {
      await client.end();
    }
  });
});
