// Who may report what (S1–S3, the branch, which path): decideStatusReport's
// table, and the one-statement path's SQL conditions agreeing with it row for row.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneStatementReportSql } from '../../src/db/sql/job-status-conditions.ts';
import type { JobKind, JobStatus } from '../../src/generated/prisma/client.ts';
import { quickStatusUpdate } from '../../src/services/jobs/quick-status.ts';
import { clockColumnOf, decideStatusReport, type StatusSnapshot } from '../../src/services/jobs/status-rules.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

const auth = { userId: 'user-1', tokenId: 'token-1' };
const claimedTask: StatusSnapshot = { user_id: 'user-1', status: 'CLAIMED', claimed_by_token_id: 'token-1', kind: 'TASK_IMPLEMENTATION', story_branch: 'story/a' };
const claimedIdea: StatusSnapshot = { ...claimedTask, kind: 'IDEA_GRILL', story_branch: null };

describe('decideStatusReport (S1–S3, the branch, the path)', () => {
  const rows: [string, string, StatusSnapshot | null, { status: 'running' | 'done' | 'failed'; branch?: string }][] = [
    // what, the outcome (an error code or `to/path`), the job, the report
    ['no such job', 'JOB_NOT_FOUND', null, { status: 'running' }],
    ["another user's job", 'JOB_NOT_FOUND', { ...claimedTask, user_id: 'user-2' }, { status: 'running' }],
    ['another token', 'PERMISSION_DENIED', { ...claimedTask, claimed_by_token_id: 'token-2' }, { status: 'running' }],
    ['never claimed', 'PERMISSION_DENIED', { ...claimedTask, status: 'QUEUED', claimed_by_token_id: null }, { status: 'running' }],
    ['another token on a cancelled job (the token first)', 'PERMISSION_DENIED', { ...claimedTask, status: 'CANCELLED', claimed_by_token_id: 'token-2' }, { status: 'done' }],
    ['cancelled', 'JOB_CANCELLED', { ...claimedTask, status: 'CANCELLED' }, { status: 'done' }],
    ['cancelled, with a wrong branch (S3 before the branch)', 'JOB_CANCELLED', { ...claimedTask, status: 'CANCELLED' }, { status: 'running', branch: 'x' }],
    ['done already', 'JOB_TERMINAL', { ...claimedTask, status: 'DONE' }, { status: 'running' }],
    ['failed already', 'JOB_TERMINAL', { ...claimedTask, status: 'FAILED' }, { status: 'failed' }],
    ['requeued', 'JOB_TERMINAL', { ...claimedTask, status: 'QUEUED' }, { status: 'running' }],
    ['a branch that is not the story branch', 'VALIDATION_FAILED', claimedTask, { status: 'done', branch: 'story/b' }],
    ['a branch on an idea job', 'VALIDATION_FAILED', claimedIdea, { status: 'running', branch: 'story/a' }],
    ['running of a task', 'RUNNING/one-statement', claimedTask, { status: 'running' }],
    ['running again, with the story branch', 'RUNNING/one-statement', { ...claimedTask, status: 'RUNNING' }, { status: 'running', branch: 'story/a' }],
    ['done of an idea', 'DONE/one-statement', { ...claimedIdea, status: 'RUNNING' }, { status: 'done' }],
    ['done of a plan idea, straight from claimed', 'DONE/one-statement', { ...claimedIdea, kind: 'IDEA_MAKE_PLAN' }, { status: 'done' }],
    ['done of a task (verify gate, push check)', 'DONE/transaction', { ...claimedTask, status: 'RUNNING' }, { status: 'done', branch: 'story/a' }],
    ['failed of a task (cascade)', 'FAILED/transaction', claimedTask, { status: 'failed' }],
    ['failed of an idea (idea state)', 'FAILED/transaction', claimedIdea, { status: 'failed' }],
  ];

  it.each(rows)('%s → %s', (_what, expected, job, report) => {
    const decision = decideStatusReport('job-1', job, auth, report);
    expect(decision.kind === 'rejected' ? decision.error.code : `${decision.to}/${decision.path}`).toBe(expected);
  });

  it('says why in the words the API has always used', () => {
    const message = (job: StatusSnapshot | null, report: { status: 'running' | 'done'; branch?: string }) => {
      const decision = decideStatusReport('job-1', job, auth, report);
      return decision.kind === 'rejected' ? decision.error.message : null;
    };
    expect(message(null, { status: 'running' })).toBe('job job-1 not found');
    expect(message({ ...claimedTask, claimed_by_token_id: 'token-2' }, { status: 'running' })).toBe('job job-1 is not claimed by this token');
    expect(message({ ...claimedTask, status: 'CANCELLED' }, { status: 'running' })).toContain('discard your local changes');
    expect(message({ ...claimedTask, status: 'FAILED' }, { status: 'running' })).toBe('Job is already in terminal state: failed');
    expect(message(claimedTask, { status: 'running', branch: 'x' })).toBe("branch must be the story's branch story/a");
    expect(message(claimedIdea, { status: 'running', branch: 'x' })).toBe("branch must be the story's branch (none: idea jobs have no branch)");
  });

  it.each([
    ['RUNNING', 'started_at'],
    ['DONE', 'finished_at'],
    ['FAILED', 'finished_at'],
  ] as const)('a transition to %s sets %s (S8)', (to, column) => {
    expect(clockColumnOf(to)).toBe(column);
  });
});

describe('the one-statement path decides as decideStatusReport does', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase({ poolSize: 2 });
    // the statement queues check refreshes through graphile_worker.add_job
    await runMigrations({ pgPool: test.db.pool });
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('its SQL conditions hold for exactly the jobs and reports decideStatusReport sends down the one-statement path', async () => {
    const statuses: JobStatus[] = ['QUEUED', 'CLAIMED', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED'];
    const kinds: JobKind[] = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];
    const cases: { job: StatusSnapshot; report: { status: 'running' | 'done'; branch?: string } }[] = [];
    for (const status of statuses)
      for (const kind of kinds)
        for (const user_id of ['user-1', 'user-2'])
          for (const claimed_by_token_id of ['token-1', 'token-2', null])
            for (const story_branch of ['story/a', null])
              for (const reported of ['running', 'done'] as const)
                for (const branch of [undefined, 'story/a', 'story/b'])
                  cases.push({ job: { user_id, status, claimed_by_token_id, kind, story_branch }, report: { status: reported, ...(branch === undefined ? {} : { branch }) } });

    const condition = oneStatementReportSql({ job: 'c', storyBranch: 'c.story_branch', userId: 'c.p_user', tokenId: 'c.p_token', to: 'c.p_to', branch: 'c.p_branch' });
    const { rows } = await test.db.pool.query<{ i: number; applies: boolean }>(
      `SELECT c.i, COALESCE(${condition}, false) AS applies
         FROM json_to_recordset($1::json) AS c(i int, user_id text, status "JobStatus", claimed_by_token_id text, kind "JobKind",
                                             story_branch text, p_user text, p_token text, p_to text, p_branch text)
        ORDER BY c.i`,
      [
        JSON.stringify(
          cases.map(({ job, report }, i) => ({
            i,
            ...job,
            p_user: auth.userId,
            p_token: auth.tokenId,
            p_to: report.status === 'running' ? 'RUNNING' : 'DONE',
            p_branch: report.branch ?? null,
          })),
        ),
      ],
    );
    const expected = cases.map(({ job, report }) => {
      const decision = decideStatusReport('job-1', job, auth, report);
      return decision.kind === 'transition' && decision.path === 'one-statement';
    });
    const disagreements = rows.filter((row) => row.applies !== expected[row.i]).map((row) => ({ ...cases[row.i], sql: row.applies }));
    expect(rows).toHaveLength(cases.length);
    expect(disagreements).toEqual([]);
    // the table is not trivially one-sided
    expect(expected.filter(Boolean).length).toBeGreaterThan(10);
  });

  it('answers the locked row when it changes nothing, and writes nothing', async () => {
    const { prisma, pool } = test.db;
    const product = await seedProduct(prisma);
    const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]));
    const story = backlog.pbis[0]!.stories[0]!;
    const user = await seedUser(prisma);
    const [job] = await seedTaskJobs(prisma, user.name, story.tasks.map((t) => t.id));
    await prisma.job.update({ where: { id: job!.id }, data: { status: 'CANCELLED', claimed_by_token_id: user.tokenId } });
    const before = await prisma.job.findUniqueOrThrow({ where: { id: job!.id } });
    const userAuth = { userId: user.id, tokenId: user.tokenId, userName: user.name, admin: false };

    const outcome = await quickStatusUpdate(pool, userAuth, job!.id, { status: 'running' });
    expect(outcome).toEqual({
      applied: false,
      snapshot: { user_id: user.id, status: 'CANCELLED', claimed_by_token_id: user.tokenId, kind: 'TASK_IMPLEMENTATION', story_branch: story.branch },
    });
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job!.id } })).toEqual(before);
    expect(await quickStatusUpdate(pool, userAuth, 'no-such-job', { status: 'running' })).toEqual({ applied: false, snapshot: null });
  });
});
