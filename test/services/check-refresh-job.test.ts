// A story's check refresh is one job whichever way it is added: from a Prisma
// transaction (queueCheckRefresh), from a statement that knows the story only
// in SQL (queueCheckRefreshSql, the status call's), and from the job list of
// the pull_request delivery's statement (checkRefreshJob as data).
import { runMigrations, runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRefreshJob, queueCheckRefresh, queueCheckRefreshSql } from '../../src/services/checks/queue-check-refresh.ts';
import { cascadeUndoJob } from '../../src/services/cascade/start-cascade.ts';
import { enqueueJob, jobSpecSql } from '../../src/services/background/enqueue.ts';
import { addJobSql } from '../../src/db/sql/background-jobs.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  await runMigrations({ pgPool: test.db.pool });
});
afterAll(async () => {
  await test?.drop();
});

interface QueuedJob {
  task_identifier: string;
  queue_name: string | null;
  key: string | null;
  payload: unknown;
  max_attempts: number;
}

/** The queued jobs by key, with the payload each is run with (graphile-worker's public view has none: they are run). */
async function runQueued(): Promise<Map<string | null, QueuedJob>> {
  const { rows } = await test.db.pool.query<Omit<QueuedJob, 'payload'> & { id: string }>(
    'SELECT id::text, task_identifier, queue_name, key, max_attempts FROM graphile_worker.jobs',
  );
  const payloads = new Map<string, unknown>();
  const task = async (payload: unknown, helpers: { job: { id: string } }) => {
    payloads.set(String(helpers.job.id), payload);
  };
  // runOnce stops at the first empty fetch, and graphile-worker 0.17 completes a job
  // without waiting (worker.js: completeJob(job); doNext()), so the next job of the
  // same serial queue can still find the queue locked: run until none is left
  for (let round = 0; round < 50; round++) {
    await runOnce({ pgPool: test.db.pool, taskList: { refresh_story_check: task, cascade_undo: task }, noHandleSignals: true });
    const left = await test.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs');
    if (left.rows[0]!.n === 0) break;
  }
  return new Map(rows.map(({ id, ...row }) => [row.key, { ...row, payload: payloads.get(id) }]));
}

/** What graphile-worker holds for a job given as data. */
const asQueued = (job: ReturnType<typeof checkRefreshJob>): QueuedJob => ({
  task_identifier: job.task,
  queue_name: job.queueName ?? null,
  key: job.jobKey ?? null,
  payload: job.payload,
  max_attempts: job.maxAttempts ?? 25,
});

describe('the check refresh job', () => {
  it('is the same job from Prisma, from SQL and from a job list', async () => {
    await queueCheckRefresh(test.db.prisma, 'story-prisma');
    await test.db.pool.query(`SELECT ${queueCheckRefreshSql('s.id')} FROM (SELECT $1::text AS id) s`, ['story-sql']);
    // the pull_request statements add their jobs from such a list (src/db/sql/pull-request-delivery.ts)
    await test.db.pool.query(
      `SELECT ${addJobSql({ task: 's.identifier', payload: 's.payload', queueName: 's.queue_name', maxAttempts: 's.max_attempts', jobKey: 's.job_key' })}
         FROM json_to_recordset($1::json) AS s(identifier text, payload json, queue_name text, job_key text, max_attempts int)`,
      [JSON.stringify([checkRefreshJob('story-list')].map((job) => ({ identifier: job.task, payload: job.payload, queue_name: job.queueName, job_key: job.jobKey, max_attempts: job.maxAttempts })))],
    );
    const jobs = await runQueued();
    for (const story of ['story-prisma', 'story-sql', 'story-list']) {
      expect(jobs.get(`check:${story}`)).toEqual(asQueued(checkRefreshJob(story)));
    }
    expect(jobs.get('check:story-sql')).toEqual({ task_identifier: 'refresh_story_check', queue_name: 'story:story-sql', key: 'check:story-sql', payload: { story_id: 'story-sql' }, max_attempts: 25 });
  });

  it('asked again by a person (resend) is its own job, beside a pending plain refresh', async () => {
    await queueCheckRefresh(test.db.prisma, 'story-rerun');
    await queueCheckRefresh(test.db.prisma, 'story-rerun', { resend: true });
    const jobs = await runQueued();
    expect(jobs.get('check:story-rerun')).toEqual(asQueued(checkRefreshJob('story-rerun')));
    expect(jobs.get('check-resend:story-rerun')).toEqual({
      task_identifier: 'refresh_story_check',
      queue_name: 'story:story-rerun',
      key: 'check-resend:story-rerun',
      payload: { story_id: 'story-rerun', resend: 'true' },
      max_attempts: 25,
    });
  });

  it('a job spec rendered as SQL adds what the spec adds as data (the cascade undo)', async () => {
    await enqueueJob(test.db.prisma, cascadeUndoJob('cascade-data'));
    const marker = '\u0000id\u0000';
    await test.db.pool.query(`SELECT ${addJobSql(jobSpecSql(cascadeUndoJob(marker), { marker, sql: '$1::text' }))}`, ['cascade-sql']);
    const jobs = await runQueued();
    expect(jobs.get('cascade:cascade-data')).toEqual(asQueued(cascadeUndoJob('cascade-data')));
    expect(jobs.get('cascade:cascade-sql')).toEqual(asQueued(cascadeUndoJob('cascade-sql')));
    expect(jobs.get('cascade:cascade-sql')!.max_attempts).toBe(12);
  });
});
