// S10: the job status event has one definition. Its TypeScript and SQL
// encodings give the same event for the same row, and publishing one event
// stores and announces it as the statements' CTEs do.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobStatusEvent, jobStatusEventSql } from '../../src/db/sql/job-status-event.ts';
import { changesChannel, publishChange, type JobStatusEvent } from '../../src/services/events/publish.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase({ poolSize: 3 });
});
afterAll(async () => {
  await test?.drop();
});

const eventFields: (keyof JobStatusEvent)[] = ['type', 'job_id', 'task_id', 'user_id', 'product_id', 'status', 'branch', 'pushed_at', 'pr_url', 'verify_result', 'summary', 'error'];

async function seededJob() {
  const { prisma } = test.db;
  const product = await seedProduct(prisma);
  const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]));
  const user = await seedUser(prisma);
  const [job] = await seedTaskJobs(prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
  return { user, jobId: job!.id };
}

async function sqlEvent(jobId: string): Promise<unknown> {
  const { rows } = await test.db.pool.query<{ event: unknown }>(`SELECT ${jobStatusEventSql('j')} AS event FROM jobs j WHERE j.id = $1`, [jobId]);
  return rows[0]!.event;
}

describe('the job status event (S10)', () => {
  it('is the same in SQL and TypeScript for a row with every field set (times to the millisecond, enums in lower case)', async () => {
    const { jobId } = await seededJob();
    const row = await test.db.prisma.job.update({
      where: { id: jobId },
      data: {
        status: 'DONE',
        branch: 'story/s-1',
        pushed_at: new Date('2026-01-02T03:04:05.678Z'),
        pr_url: 'https://github.com/acme/app/pull/7',
        verify_result: 'DIVERGENT',
        summary: 'Did it "differently" — on purpose',
        error: 'line 1\nline 2',
      },
    });
    const event = jobStatusEvent(row);
    expect(Object.keys(event).sort()).toEqual([...eventFields].sort());
    expect(event).toMatchObject({ type: 'claude_job_status', status: 'done', verify_result: 'divergent', pushed_at: '2026-01-02T03:04:05.678Z' });
    expect(await sqlEvent(jobId)).toEqual(event);
  });

  it('is the same in SQL and TypeScript for a row with the optional fields empty', async () => {
    const { jobId } = await seededJob();
    const row = await test.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(row).toMatchObject({ pushed_at: null, verify_result: null, branch: null });
    const event = jobStatusEvent(row);
    expect(event).toMatchObject({ status: 'queued', pushed_at: null, verify_result: null, branch: null, pr_url: null });
    expect(await sqlEvent(jobId)).toEqual(event);
  });

  it('publishChange stores the event and announces it with its seq, in the caller transaction', async () => {
    const { user, jobId } = await seededJob();
    const event = jobStatusEvent(await test.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } }));
    const listener = new pg.Client({ connectionString: test.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.payload ?? ''));
      await listener.query(`LISTEN ${changesChannel}`);
      const seq = await test.db.prisma.$transaction(async (tx) => {
        const seq = await publishChange(tx, event);
        // not announced before commit
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(heard).toEqual([]);
        return seq;
      });
      expect(typeof seq).toBe('bigint');
      const stored = await test.db.prisma.changeEvent.findUniqueOrThrow({ where: { seq } });
      expect(stored).toMatchObject({ type: 'claude_job_status', user_id: user.id, payload: event });
      await expect.poll(() => heard.length, { timeout: 30_000 }).toBe(1);
      expect(JSON.parse(heard[0]!)).toEqual({ seq: seq.toString(), event });
    } finally {
      await listener.end();
    }
  });

  it('publishChange announces an event too large for a NOTIFY by its seq only, and stores it whole', async () => {
    const listener = new pg.Client({ connectionString: test.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.payload ?? ''));
      await listener.query(`LISTEN ${changesChannel}`);
      const big = { type: 'note', user_id: null, text: 'x'.repeat(9000) };
      const seq = await publishChange(test.db.pool, big);
      await expect.poll(() => heard.length, { timeout: 30_000 }).toBe(1);
      expect(JSON.parse(heard[0]!)).toEqual({ seq: seq.toString(), user_id: null });
      expect((await test.db.prisma.changeEvent.findUniqueOrThrow({ where: { seq } })).payload).toEqual(big);
    } finally {
      await listener.end();
    }
  });
});
