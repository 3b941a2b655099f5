import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  defaultMigrationsDir,
  defaultSchemaPath,
  diffMigration,
  migrationSlug,
  migrationStatus,
  migrationTimestamp,
  PRISMA_MIGRATE_LOCK_ID,
  readMigrationList,
  SNAPSHOT_FILE,
} from '../../src/db/migrations.ts';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/database.ts';

const schemaText = await fs.readFile(defaultSchemaPath(), 'utf8');
/** Every table schema.prisma maps, by `@@map("…")`. */
const mappedTables = [...schemaText.matchAll(/@@map\("([^"]+)"\)/g)].map((match) => match[1]).sort();
const migrationNames = (await readMigrationList(defaultMigrationsDir())).migrationDirectories.map((dir) => dir.path);

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function publicTables(url: string): Promise<string[]> {
  const rows = await query<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  return rows.map((row) => row.tablename);
}

/** Tables, columns, enums, indexes and constraints: what two databases must share to have the same schema. */
async function describeSchema(url: string): Promise<Record<string, string[]>> {
  const pick = async (sql: string) => (await query<{ line: string }>(url, sql)).map((row) => row.line);
  return {
    columns: await pick(`SELECT format('%s.%s %s null=%s default=%s', table_name, column_name, udt_name, is_nullable, column_default) AS line
                           FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1`),
    enums: await pick(`SELECT format('%s=%s', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)) AS line
                         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`),
    indexes: await pick(`SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`),
    constraints: await pick(`SELECT format('%s %s', conname, pg_get_constraintdef(c.oid)) AS line
                               FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                              WHERE n.nspname = 'public' AND conrelid::regclass::text <> '_prisma_migrations'
                                -- constraint triggers (contype t) live only in migrations, as triggers do
                                AND c.contype <> 't' ORDER BY 1`),
  };
}

describe('applyMigrations', () => {
  let empty: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    empty = await createEmptyDatabase();
  });
  afterAll(async () => {
    await empty?.drop();
  });

  it('gives a database from scratch every table of schema.prisma, then is a no-op', async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(await publicTables(empty.url)).toEqual([]);
    expect(await migrationStatus(empty.url)).toEqual({ applied: [], pending: migrationNames, failed: [] });

    const first = await applyMigrations(empty.url);
    expect(first.applied).toEqual(migrationNames);
    expect(await publicTables(empty.url)).toEqual(['_prisma_migrations', ...mappedTables].sort());
    expect(await migrationStatus(empty.url)).toEqual({ applied: migrationNames, pending: [], failed: [] });

    const second = await applyMigrations(empty.url);
    expect(second.applied).toEqual([]);
    const recorded = await query<{ n: string }>(empty.url, 'SELECT count(*)::text AS n FROM _prisma_migrations');
    expect(recorded[0]?.n).toBe(String(migrationNames.length));
  });

  it('lets two concurrent appliers run the migrations exactly once', async () => {
    const fresh = await createEmptyDatabase();
    try {
      const results = await Promise.all([applyMigrations(fresh.url), applyMigrations(fresh.url)]);
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, migrationNames.length]);
      // The engine's advisory lock went with its pool: nothing still holds it.
      const locks = await query(fresh.url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = ${PRISMA_MIGRATE_LOCK_ID}`);
      expect(locks).toEqual([]);
    } finally {
      await fresh.drop();
    }
  });

  it('reports a failing migration by name and leaves it recorded as failed', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const fresh = await createEmptyDatabase();
    try {
      await fs.mkdir(path.join(dir, '20200101000000_good'));
      await fs.writeFile(path.join(dir, '20200101000000_good', 'migration.sql'), 'CREATE TABLE good (id int);');
      await fs.mkdir(path.join(dir, '20200102000000_bad'));
      await fs.writeFile(path.join(dir, '20200102000000_bad', 'migration.sql'), 'ALTER TABLE missing ADD COLUMN x int;');
      await expect(applyMigrations(fresh.url, { migrationsDir: dir })).rejects.toThrow(/20200102000000_bad[\s\S]*missing/);
      expect(await migrationStatus(fresh.url, { migrationsDir: dir })).toEqual({
        applied: ['20200101000000_good'],
        pending: ['20200102000000_bad'],
        failed: ['20200102000000_bad'],
      });
    } finally {
      await fresh.drop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('says which database it could not reach, without its password', async () => {
    const unreachable = 'postgresql://app:hunter2@127.0.0.1:1/nowhere';
    await expect(migrationStatus(unreachable)).rejects.toThrow(/could not read the migration status on postgresql:\/\/app:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    const error = await applyMigrations(unreachable).catch((err: Error) => err);
    expect(String(error)).toMatch(/could not apply migrations on .*127\.0\.0\.1:1.*Can't reach database server/);
    expect(String(error)).not.toContain('hunter2');
  });

  it('refuses an empty migrations folder with a clear error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await expect(applyMigrations(empty.url, { migrationsDir: dir })).rejects.toThrow(/no migrations in/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the committed migrations', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('are all applied in a test database, as migrationStatus reads through the app pool', async () => {
    expect(await migrationStatus(test.db.pool)).toEqual({ applied: migrationNames, pending: [], failed: [] });
  });

  it('build exactly the schema in prisma/schema.prisma', async () => {
    // The template was built by the migrations; build a second database straight from
    // schema.prisma (diffed from nothing) and compare the catalogs.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const direct = await createEmptyDatabase();
    try {
      const generated = await diffMigration(test.url, 'direct', { migrationsDir: dir, from: '' });
      expect(generated).not.toBeNull();
      await query(direct.url, generated!.sql);
      expect(await describeSchema(test.url)).toEqual(await describeSchema(direct.url));
    } finally {
      await direct.drop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('have a snapshot equal to schema.prisma, so the next diff starts from the right place', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await fs.cp(defaultMigrationsDir(), dir, { recursive: true });
      expect(await diffMigration(test.url, 'nothing', { migrationsDir: dir })).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('diffMigration', () => {
  let test: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });
  afterEach(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const base = 'datasource db {\n  provider = "postgresql"\n}\n\nmodel Label {\n  id Int @id\n  @@map("labels")\n}\n';
  const withColor = base.replace('id Int @id', 'id Int @id\n  color String @default("red")');

  it('writes the first migration from nothing, in Prisma format, then the next one from the snapshot', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const first = await diffMigration(test.url, 'Init labels!', {
      migrationsDir: dir,
      to: base,
      now: new Date('2026-01-02T03:04:05Z'),
    });
    expect(first?.name).toBe('20260102030405_init_labels');
    expect(await fs.readFile(path.join(dir, '20260102030405_init_labels', 'migration.sql'), 'utf8')).toMatch(
      /CREATE TABLE "labels"/,
    );
    expect(await fs.readFile(path.join(dir, 'migration_lock.toml'), 'utf8')).toMatch(/^provider = "postgresql"$/m);
    expect(await fs.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).toBe(base);

    expect(await diffMigration(test.url, 'again', { migrationsDir: dir, to: base })).toBeNull();

    const second = await diffMigration(test.url, 'color', { migrationsDir: dir, to: withColor, now: new Date('2026-01-03T00:00:00Z') });
    expect(second?.sql).toMatch(/ALTER TABLE "labels" ADD COLUMN\s+"color" TEXT NOT NULL DEFAULT 'red'/);
    expect(second?.sql).not.toMatch(/CREATE TABLE/);
    expect(await fs.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).toBe(withColor);

    // What it wrote is what applyMigrations runs.
    const fresh = await createEmptyDatabase();
    try {
      expect((await applyMigrations(fresh.url, { migrationsDir: dir })).applied).toEqual([
        '20260102030405_init_labels',
        '20260103000000_color',
      ]);
      const columns = await query<{ column_name: string }>(
        fresh.url,
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'labels' ORDER BY 1`,
      );
      expect(columns.map((c) => c.column_name)).toEqual(['color', 'id']);
    } finally {
      await fresh.drop();
    }
  });

  it('refuses to diff when migrations exist but the snapshot is gone', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await diffMigration(test.url, 'init', { migrationsDir: dir, to: base, now: new Date('2026-01-02T00:00:00Z') });
    await fs.rm(path.join(dir, SNAPSHOT_FILE));
    await expect(diffMigration(test.url, 'color', { migrationsDir: dir, to: withColor })).rejects.toThrow(
      /schema\.snapshot\.prisma is missing/,
    );
  });

  it('refuses a migration that would sort before an existing one', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await diffMigration(test.url, 'init', { migrationsDir: dir, to: base, now: new Date('2026-01-02T00:00:00Z') });
    await expect(
      diffMigration(test.url, 'color', { migrationsDir: dir, to: withColor, now: new Date('2025-12-31T00:00:00Z') }),
    ).rejects.toThrow(/must sort after the last one/);
  });

  it('reports an invalid schema with the engine message', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await expect(
      diffMigration(test.url, 'broken', { migrationsDir: dir, to: base.replace('Int @id', 'Nope @id') }),
    ).rejects.toThrow(/could not diff schemas[\s\S]*Nope/);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('migration names', () => {
  it.each([
    ['init', 'init'],
    ['Add labels', 'add_labels'],
    ['  job--queue  index ', 'job_queue_index'],
  ])('slugs %j as %j', (input, slug) => {
    expect(migrationSlug(input)).toBe(slug);
  });

  it('rejects a name with nothing usable', () => {
    expect(() => migrationSlug('!!!')).toThrow(/not a usable migration name/);
  });

  it('stamps folders with the UTC time, as Prisma does', () => {
    expect(migrationTimestamp(new Date('2026-11-24T09:08:07.654Z'))).toBe('20261124090807');
  });
});
