// The app's pool gives up waiting for a connection after 5 s (SPEC §6: a webhook
// is answered within GitHub's 10 s even when the database is busy or away).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, defaultConnectionTimeoutMs } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('the connection pool', () => {
  it('waits at most 5 s for a connection by default', async () => {
    expect(defaultConnectionTimeoutMs).toBe(5000);
    const db = connectDatabase(database.url);
    try {
      expect(db.pool.options.connectionTimeoutMillis).toBe(5000);
    } finally {
      await db.close();
    }
  });

  it('fails a query, plain or through Prisma, that waits longer than its timeout for a busy pool, and serves again once a connection is free', async () => {
    const db = connectDatabase(database.url, { max: 1, connectionTimeoutMs: 400 });
    try {
      const held = await db.pool.connect();
      const started = performance.now();
      await expect(db.pool.query('SELECT 1')).rejects.toThrow(/timeout/i);
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(350);
      expect(waited).toBeLessThan(5000);
      await expect(db.prisma.job.count()).rejects.toThrow();
      held.release();
      expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(await db.prisma.job.count()).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('fails a connection attempt to a server that does not answer within the timeout', async () => {
    // a listening socket that never speaks: the TCP connect succeeds, PostgreSQL's startup never does
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as import('node:net').AddressInfo;
    const db = connectDatabase(`postgresql://nobody:x@127.0.0.1:${port}/none`, { connectionTimeoutMs: 400 });
    try {
      const started = performance.now();
      await expect(db.pool.query('SELECT 1')).rejects.toThrow(/timeout/i);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await db.close();
      silent.close();
    }
  });
});
