// The PBI view (SPEC §5) costs what it shows: each task lists its newest 20
// jobs and counts the rest, read with one statement bounded per task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../../src/generated/prisma/client.ts';
import { renderPbi } from '../../src/cli/pbi-report.ts';
import { getPbiView } from '../../src/services/pbis/pbi-view.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { jobReads, recordingDatabase, type RecordingDatabase } from '../support/recording-database.ts';
import { seedBacklog, seedProduct, seedUser } from '../support/seed.ts';

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

describe('the PBI view', () => {
  it("lists each task's newest 20 jobs (oldest first), counts all of them, and reads jobs with LIMIT", async () => {
    const { prisma } = test.db;
    const product = await seedProduct(prisma);
    const backlog = await seedBacklog(prisma, product.id, {
      pbis: [
        {
          code: 'PV',
          title: 'Viewed',
          stories: [
            { code: 'A', title: 'Busy story', tasks: [{ title: 'Redone often' }, { title: 'Done once' }] },
            { code: 'B', title: 'Idle story', tasks: [{ title: 'Never queued' }] },
          ],
        },
      ],
    });
    const pbi = backlog.pbis[0]!;
    const [busy, idle] = pbi.stories;
    const [often, once] = busy!.tasks;
    const user = await seedUser(prisma, 'viewer');
    const base = Date.parse('2026-02-01T00:00:00Z');
    const common = { kind: 'TASK_IMPLEMENTATION' as const, user_id: user.id, product_id: product.id, pbi_id: pbi.id, story_id: busy!.id };
    const jobs: Omit<Prisma.JobCreateManyInput, keyof typeof common>[] = [
      ...Array.from({ length: 25 }, (_, i) => ({
        id: `often-${String(i).padStart(2, '0')}`,
        task_id: often!.id,
        created_at: new Date(base + i * 60_000),
        status: i === 24 ? ('DONE' as const) : ('FAILED' as const),
        error: i === 24 ? null : `attempt ${i} failed`,
        summary: i === 24 ? 'Finally done' : null,
      })),
      { id: 'once-0', task_id: once!.id, created_at: new Date(base), status: 'QUEUED' },
    ];
    await prisma.job.createMany({ data: jobs.map((job) => ({ ...common, ...job })) });

    recorded.statements.length = 0;
    const view = await getPbiView(recorded.prisma, pbi.id);

    expect(view.stories.map((s) => s.id)).toEqual([busy!.id, idle!.id]);
    const [oftenView, onceView] = view.stories[0]!.tasks;
    expect(oftenView).toMatchObject({ id: often!.id, title: 'Redone often', jobs_total: 25 });
    expect(oftenView!.jobs.map((j) => j.id)).toEqual(Array.from({ length: 20 }, (_, i) => `often-${String(i + 5).padStart(2, '0')}`));
    expect(oftenView!.jobs.at(-1)).toEqual({ id: 'often-24', status: 'done', user: 'viewer', verify_result: null, pr_url: null, summary: 'Finally done', error: null });
    expect(onceView).toEqual({
      id: once!.id,
      title: 'Done once',
      jobs_total: 1,
      jobs: [{ id: 'once-0', status: 'queued', user: 'viewer', verify_result: null, pr_url: null, summary: null, error: null }],
    });
    expect(view.stories[1]!.tasks).toEqual([{ id: idle!.tasks[0]!.id, title: 'Never queued', jobs_total: 0, jobs: [] }]);

    // one statement reads jobs: the newest per task with LIMIT, and the count
    const reads = jobReads(recorded.statements);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/LIMIT \$2/);

    expect(renderPbi(view)).toContain('(5 older jobs not shown)');
  });
});
