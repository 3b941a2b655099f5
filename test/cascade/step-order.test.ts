// A cascade's steps keep the order they were planned in (the stories' order),
// whatever ids they carry: ids are opaque (Prisma's cuid, or another client's),
// so the order is stored with the step, not read from its id.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCascade } from '../../src/services/cascade/start-cascade.ts';
import { getPbiView } from '../../src/services/pbis/pbi-view.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  // the cascade's start adds its undo job to graphile-worker's queue
  await runMigrations({ pgPool: test.db.pool });
});
afterAll(async () => {
  await test?.drop();
});

describe('cascade step order', () => {
  it('lists the steps planned in one insert in the stories’ order even when their ids sort the other way', async () => {
    const { prisma } = test.db;
    const product = await seedProduct(prisma, { repo: 'acme/step-order' });
    const codes = ['SA', 'SB', 'SC', 'SD'];
    const backlog = await seedBacklog(prisma, product.id, {
      pbis: [{ code: 'ORD', title: 'Ordered', stories: codes.map((code) => ({ code, title: `Story ${code}`, tasks: [{ title: `Task ${code}` }] })) }],
    });
    const pbi = backlog.pbis[0]!;
    const user = await seedUser(prisma, 'step-order-agent');
    await seedTaskJobs(prisma, user.name, pbi.stories.map((story) => story.tasks[0]!.id));
    const failed = await prisma.job.findFirstOrThrow({ where: { story_id: pbi.stories[0]!.id } });
    await prisma.job.update({ where: { id: failed.id }, data: { status: 'FAILED', error: 'boom' } });

    const started = await prisma.$transaction((tx) => startCascade(tx, { id: failed.id, pbi_id: pbi.id, error: 'boom' }));
    expect(started).not.toBeNull();

    // ids that sort against the plan, as another writer's generator may give them
    const steps = await prisma.cascadeStep.findMany({ where: { cascade_id: started!.id }, select: { id: true, story_id: true } });
    expect(steps).toHaveLength(codes.length);
    const planIndex = (storyId: string | null) => pbi.stories.findIndex((story) => story.id === storyId);
    for (const step of steps) {
      await prisma.cascadeStep.update({ where: { id: step.id }, data: { id: `step-${String(codes.length - planIndex(step.story_id)).padStart(2, '0')}` } });
    }

    const view = await getPbiView(prisma, pbi.id);
    expect(view.cascades).toHaveLength(1);
    expect(view.cascades[0]!.steps.map((step) => step.branch)).toEqual(pbi.stories.map((story) => story.branch));
  });
});
