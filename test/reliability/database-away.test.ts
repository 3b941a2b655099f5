// The database away (SPEC §4 UNAVAILABLE): the app reaches its PostgreSQL through a
// TCP proxy this test controls. Taking the database away cuts every connection
// (what a restart or a failover does to them) and resets new ones; agent and
// operator calls then answer 503 UNAVAILABLE with Retry-After and no internals,
// /readyz says not ready, a transaction cut in the middle leaves nothing
// half-written, and once the database is back the same calls succeed.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { DatabaseProxy } from '../support/database-proxy.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { pbiLockKey } from '../../src/services/cascade/pbi-lock.ts';

let database: TestDatabase;
let proxy: DatabaseProxy;
let app: TestApp;
beforeAll(async () => {
  database = await createTestDatabase();
  const real = new URL(database.url);
  proxy = new DatabaseProxy({ host: real.hostname, port: Number(real.port) });
  await proxy.start();
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  app = await startTestApp({ reuseDatabaseUrl: proxied.toString() });
});
afterAll(async () => {
  proxy?.up();
  await app?.close();
  await proxy?.stop();
  await database?.drop();
});

/** A claimed task job of a fresh user (set up while the database is there). */
async function claimedJob() {
  const prisma = database.db.prisma;
  const product = await seedProduct(prisma);
  const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]));
  const user = await seedUser(prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  await seedTaskJobs(prisma, user.name, [story.tasks[0]!.id]);
  const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
  expect(claimed.status).toBe(200);
  return { user, pbiId: backlog.pbis[0]!.id, jobId: claimed.body.job.id as string };
}

/** What a call could have written for the job, read on the database itself (not through the proxy). */
async function writtenState(jobId: string, pbiId: string) {
  const prisma = database.db.prisma;
  const [job, traces, events, cascades] = await Promise.all([
    prisma.job.findUniqueOrThrow({ where: { id: jobId } }),
    prisma.traceEntry.count({ where: { job_id: jobId } }),
    prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM change_events WHERE payload->>'job_id' = ${jobId}`.then((rows) => rows[0]!.n),
    prisma.cascade.count({ where: { pbi_id: pbiId } }),
  ]);
  return { job, traces, events, cascades };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely, as in the other app tests
function expectUnavailable(answer: { status: number; body: any; headers: Headers }) {
  expect(answer.status).toBe(503);
  expect(answer.body.error.code).toBe('UNAVAILABLE');
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  // no stack, no driver message, no address
  expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|terminated|127\.0\.0\.1|\bat \w+ \(|node_modules|prisma|pg-pool/i);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs `during` while another transaction, on the database itself, holds the PBI's cascade lock. */
async function withPbiLockHeld(pbiId: string, during: (holder: pg.PoolClient) => Promise<void>): Promise<void> {
  const holder = await database.db.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [pbiLockKey(pbiId)]);
    await during(holder);
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    holder.release();
  }
}

describe('the database away', { timeout: 120_000 }, () => {
  it('agent and operator calls answer 503 UNAVAILABLE with Retry-After, /readyz is not ready, and all recover when it is back', async () => {
    const { user, pbiId, jobId } = await claimedJob();
    const before = await writtenState(jobId, pbiId);
    proxy.down();
    try {
      // agent routes: a status report (one statement), a claim, a read
      expectUnavailable(await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'running' } }));
      expectUnavailable(await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } }));
      expectUnavailable(await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.token }));
      // operator routes: a read and a write
      expectUnavailable(await app.call('GET', `/api/v1/admin/pbis/${pbiId}`));
      expectUnavailable(await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'someone-new' } }));
      const ready = await app.call('GET', '/readyz', { token: null });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not_ready' });
      // the process is alive and says so
      expect((await app.call('GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      proxy.up();
    }
    expect(await writtenState(jobId, pbiId)).toEqual(before);
    // back: the same calls succeed (the pool connects again)
    const running = await until('the status call to succeed again', async () => {
      const answer = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'running' } });
      return answer.status === 200 ? answer : undefined;
    });
    expect(running.body.status).toBe('running');
    expect((await app.call('GET', `/api/v1/admin/pbis/${pbiId}`)).status).toBe(200);
    expect((await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'someone-new' } })).status).toBe(201);
    await until('/readyz to be ready', async () => ((await app.call('GET', '/readyz', { token: null })).status === 200 ? true : undefined));
  });

  it('a failure report cut off inside its transaction writes nothing: no failed job, no cascade, no trace, no event', async () => {
    const { user, pbiId, jobId } = await claimedJob();
    const before = await writtenState(jobId, pbiId);
    // Hold the PBI's cascade lock on the database itself: the failure's transaction
    // (begun, lock requested first) waits there until the database goes away.
    try {
      await withPbiLockHeld(pbiId, async (holder) => {
        const report = app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'failed', error: 'tests fail' } });
        await until('the failure to wait for the PBI lock', async () => {
          // pg_locks is live (pg_stat_activity would be a snapshot taken once per transaction)
          const { rows } = await holder.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          return rows[0]!.n > 0 ? true : undefined;
        });
        proxy.down();
        expectUnavailable(await report);
      });
    } finally {
      proxy.up();
    }
    expect(await writtenState(jobId, pbiId)).toEqual(before);
    // the agent reports again once the database is back: now it is recorded, with its cascade
    const again = await until('the failure report to succeed', async () => {
      const answer = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'failed', error: 'tests fail' } });
      return answer.status === 200 ? answer : undefined;
    });
    expect(again.body).toMatchObject({ status: 'failed', cascade: expect.objectContaining({ id: expect.any(String) }) });
  });

  it('a failure report that waits on its PBI lock past lock_timeout answers 503 UNAVAILABLE and writes nothing (before: it hung while the lock was held)', async () => {
    // the database is there but busy: another transaction holds the PBI's cascade lock.
    // Before, the report waited as long as the lock was held (Prisma's transaction
    // timeout does not cancel a running query; this test timed out at 120 s).
    const { user, pbiId, jobId } = await claimedJob();
    const before = await writtenState(jobId, pbiId);
    await withPbiLockHeld(pbiId, async () => {
      expectUnavailable(await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'failed', error: 'tests fail' } }));
    });
    expect(await writtenState(jobId, pbiId)).toEqual(before);
    const again = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'failed', error: 'tests fail' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'failed', cascade: expect.objectContaining({ id: expect.any(String) }) });
  });
});
