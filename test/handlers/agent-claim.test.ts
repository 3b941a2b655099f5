import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { jobStatusEvent } from '../../src/services/jobs/job-events.ts';
import { jobViewInclude, presentClaimedJob } from '../../src/services/jobs/job-view.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function world(taskCount = 2) {
  const product = await seedProduct(app.db.prisma);
  const backlog = await seedBacklog(
    app.db.prisma,
    product.id,
    oneStoryBacklog(Array.from({ length: taskCount }, (_, i) => ({ title: `Task ${i}`, plan: `Plan ${i}`, plan_paths: [`src/${i}/**`] }))),
  );
  const user = await seedUser(app.db.prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  return { product, backlog, user, story, taskIds: story.tasks.map((t) => t.id) };
}

const claim = (token: string, body: Record<string, unknown> = { wait_seconds: 0 }) =>
  app.call('POST', '/api/v1/jobs/claim', { token, body });

describe('POST /api/v1/jobs/claim', () => {
  it('hands out a task job with everything the agent needs', async () => {
    const { product, backlog, user, story, taskIds } = await world(1);
    await seedTaskJobs(app.db.prisma, user.name, taskIds);
    const response = await claim(user.token);
    expect(response.status).toBe(200);
    expect(response.body.job).toEqual({
      id: expect.any(String),
      kind: 'task_implementation',
      status: 'claimed',
      priority: 0,
      product: { id: product.id, name: product.name, repo: product.repo, base_branch: 'main' },
      pbi: { id: backlog.pbis[0]!.id, code: 'PBI-1', title: 'A PBI' },
      story: { id: story.id, code: 'ST-1', title: 'A story', branch: story.branch },
      task: { id: taskIds[0], title: 'Task 0', plan: 'Plan 0', plan_paths: ['src/0/**'], verify_only: false, verify_required: 'aligned_or_partial' },
      branch: story.branch,
      claimed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('answers what the job view of the stored row shows, and stores the claimed event as jobStatusEvent() of the row', async () => {
    const { user, taskIds } = await world(1);
    await seedTaskJobs(app.db.prisma, user.name, taskIds);
    const response = await claim(user.token);
    const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: response.body.job.id }, include: jobViewInclude });
    expect(response.body.job).toEqual(presentClaimedJob(row));
    expect(response.body.job.claimed_at).toBe(row.claimed_at!.toISOString());
    expect(Math.abs(row.claimed_at!.getTime() - Date.now())).toBeLessThan(60_000);
    const event = await app.db.prisma.changeEvent.findFirstOrThrow({ where: { type: 'claude_job_status', payload: { path: ['job_id'], equals: row.id } }, orderBy: { seq: 'desc' } });
    expect(event.payload).toEqual(jobStatusEvent(row));
    expect(event.payload).toMatchObject({ job_id: row.id, status: 'claimed' });
  });

  it('hands out idea jobs with the idea and no branch', async () => {
    const { product, user } = await world(0);
    const idea = await createIdea(app.db.prisma, { product_id: product.id, title: 'Dark mode', body: 'Please' });
    await enqueueJobs(app.db.prisma, { user: user.name, idea_id: idea.id, kind: 'IDEA_GRILL' });
    const response = await claim(user.token, { wait_seconds: 0, kinds: ['idea_grill'] });
    expect(response.status).toBe(200);
    expect(response.body.job).toMatchObject({ kind: 'idea_grill', idea: { id: idea.id, title: 'Dark mode', body: 'Please' }, branch: null, story: null });
    expect(response.body.job.task).toBeUndefined();
  });

  it('answers 204 when nothing is queued for the user, and never hands out another user\'s job', async () => {
    const { user, taskIds } = await world(1);
    const stranger = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, taskIds);
    const response = await claim(stranger.token);
    expect(response.status).toBe(204);
  });

  it('claims the highest priority first, then the oldest', async () => {
    const { user, taskIds } = await world(3);
    const [low] = await seedTaskJobs(app.db.prisma, user.name, [taskIds[0]!], 0);
    const [highOld] = await seedTaskJobs(app.db.prisma, user.name, [taskIds[1]!], 5);
    const [highNew] = await seedTaskJobs(app.db.prisma, user.name, [taskIds[2]!], 5);
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await claim(user.token)).body.job.id);
    expect(order).toEqual([highOld!.id, highNew!.id, low!.id]);
    expect((await claim(user.token)).status).toBe(204);
  });

  it('filters by kind', async () => {
    const { user, taskIds } = await world(1);
    await seedTaskJobs(app.db.prisma, user.name, taskIds);
    expect((await claim(user.token, { wait_seconds: 0, kinds: ['IDEA_MAKE_PLAN'] })).status).toBe(204);
    expect((await claim(user.token, { wait_seconds: 0, kinds: ['task_implementation'] })).status).toBe(200);
  });

  it('never gives one job to two of 20 concurrent claimers (200 jobs)', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog(Array.from({ length: 200 }, (_, i) => ({ title: `T${i}` }))));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (;;) {
          const response = await claim(user.token);
          if (response.status === 204) return;
          expect(response.status).toBe(200);
          claimed.push(response.body.job.id);
        }
      }),
    );
    expect(claimed).toHaveLength(200);
    expect(new Set(claimed).size).toBe(200);
    expect(await app.db.prisma.job.count({ where: { user_id: user.id, status: 'CLAIMED' } })).toBe(200);
  });

  it('long-polls and is woken by a newly queued job instead of waiting out the timeout', async () => {
    const { user, taskIds } = await world(1);
    const started = Date.now();
    const pending = claim(user.token, { wait_seconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await seedTaskJobs(app.db.prisma, user.name, taskIds);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body.job.task.id).toBe(taskIds[0]);
    // woken by NOTIFY, far before the 20 s timeout
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers 204 after wait_seconds when nothing comes', async () => {
    const { user } = await world(0);
    const started = Date.now();
    const response = await claim(user.token, { wait_seconds: 1 });
    expect(response.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('validates the body and the token', async () => {
    const { user } = await world(0);
    const bad = await claim(user.token, { wait_seconds: 61 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('wait_seconds');
    expect((await claim(user.token, { kinds: ['nope'] })).status).toBe(400);
    expect((await app.call('POST', '/api/v1/jobs/claim', { token: null, body: {} })).status).toBe(401);
  });
});
