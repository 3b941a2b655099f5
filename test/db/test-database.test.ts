import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('createTestDatabase', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([a?.drop(), b?.drop()]);
  });

  it('gives each caller its own migrated database', async () => {
    expect(a.url).not.toBe(b.url);
    await a.db.prisma.user.create({ data: { name: 'only-in-a' } });
    expect(await a.db.prisma.user.count()).toBe(1);
    expect(await b.db.prisma.user.count()).toBe(0);
  });

  it('reset() empties every app table, restarts identities and keeps the migration history', async () => {
    const user = await a.db.prisma.user.upsert({ where: { name: 'only-in-a' }, update: {}, create: { name: 'only-in-a' } });
    await a.db.prisma.changeEvent.create({ data: { type: 'x', payload: {}, user_id: user.id } });
    await a.db.prisma.changeEvent.create({ data: { type: 'y', payload: {} } });
    await a.db.pool.query('CREATE SCHEMA graphile_worker; CREATE TABLE graphile_worker.jobs (id int); INSERT INTO graphile_worker.jobs VALUES (1)');

    await a.reset();

    expect(await a.db.prisma.user.count()).toBe(0);
    expect(await a.db.prisma.changeEvent.count()).toBe(0);
    const next = await a.db.prisma.changeEvent.create({ data: { type: 'z', payload: {} } });
    expect(next.seq).toBe(1n);
    const migrations = await a.db.pool.query('SELECT 1 FROM _prisma_migrations');
    expect(migrations.rowCount).toBeGreaterThan(0);
    const queue = await a.db.pool.query('SELECT id FROM graphile_worker.jobs');
    expect(queue.rows).toEqual([{ id: 1 }]);
  });

  it('drop() removes the database', async () => {
    const c = await createTestDatabase();
    await c.drop();
    await expect(c.db.pool.query('SELECT 1')).rejects.toThrow();
    const { rows } = await b.db.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(c.url).pathname.slice(1)]);
    expect(rows).toEqual([]);
  });
});
