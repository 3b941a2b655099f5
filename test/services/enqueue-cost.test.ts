// Enqueueing many tasks at once costs a fixed number of statements, not two per
// job: the operator's 200-task enqueue ran past its transaction's 5 s timeout on
// a loaded machine when every job and its event was a round trip of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { recordingDatabase, type RecordingDatabase } from '../support/recording-database.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedUser } from '../support/seed.ts';

let test: TestDatabase;
let recorded: RecordingDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  recorded = recordingDatabase(test.url);
});
afterAll(async () => {
  await recorded?.close();
  await test?.drop();
});

describe('enqueueing jobs', () => {
  it('queues 200 tasks in a fixed number of statements, answers them in the order asked, and stores one queued event each', async () => {
    const { prisma } = test.db;
    const product = await seedProduct(prisma);
    const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog(Array.from({ length: 200 }, (_, i) => ({ title: `T${i}` }))));
    const user = await seedUser(prisma);
    const taskIds = backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id).reverse();

    recorded.statements.length = 0;
    const jobs = await enqueueJobs(recorded.prisma, { user: user.name, task_ids: taskIds, priority: 3 });
    const sent = recorded.statements.length;

    expect(jobs.map((j) => j.task_id)).toEqual(taskIds);
    expect(jobs.every((j) => j.status === 'queued' && j.priority === 3)).toBe(true);
    expect(sent).toBeLessThan(20);
    const events = await prisma.changeEvent.findMany({ where: { user_id: user.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => (e.payload as { job_id: string }).job_id)).toEqual(jobs.map((j) => j.id));
    expect(events.every((e) => (e.payload as { status: string }).status === 'queued')).toBe(true);
    const stored = await prisma.job.findMany({ where: { user_id: user.id }, select: { id: true, task_id: true, pbi_id: true, story_id: true, product_id: true } });
    expect(stored).toHaveLength(200);
    expect(stored.every((j) => j.pbi_id === backlog.pbis[0]!.id && j.product_id === product.id)).toBe(true);
  });
});
