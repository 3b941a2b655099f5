// The story PR (S7) against the in-memory GitHub port: what is sent to open,
// adopt and update it, and that nothing is sent when nothing changed or a
// fail-cascade is open.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStoryPullRequest } from '../../../src/services/story-pr/ensure-story-pr.ts';
import { storyPrBody } from '../../../src/services/story-pr/story-pr-body.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { fakeGitHubAccess, FakeGitHubPort } from '../../support/fake-github-port.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../../support/seed.ts';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  // an adopted PR's body is queued (graphile-worker's queue)
  await runMigrations({ pgPool: test.db.pool });
});
afterAll(async () => {
  await test?.drop();
});

const log = { info() {}, warn() {}, error() {}, debug() {} } as never;

/** A product with one story of two tasks, the first done with pushed work. */
async function world() {
  const { prisma } = test.db;
  const product = await seedProduct(prisma);
  const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Form' }, { title: 'Styles' }]));
  const story = backlog.pbis[0]!.stories[0]!;
  const user = await seedUser(prisma);
  const [form, styles] = await seedTaskJobs(prisma, user.name, story.tasks.map((t) => t.id));
  const finish = (jobId: string, summary: string) =>
    prisma.job.update({ where: { id: jobId }, data: { status: 'DONE', summary, finished_at: new Date(), pushed_at: new Date() } });
  await finish(form!.id, 'Form built');
  const github = new FakeGitHubPort({ fullName: product.repo });
  const [owner, repo] = product.repo.split('/') as [string, string];
  const services = { prisma, github: fakeGitHubAccess(github), log };
  return { product, story, github, repo: { owner, repo }, services, jobs: { form: form!.id, styles: styles!.id }, finish };
}

describe('ensureStoryPullRequest on the GitHub port', () => {
  it('opens the PR once, with the story title, its branch on the base and the done summaries as body', async () => {
    const w = await world();

    const outcome = await ensureStoryPullRequest(w.services, w.jobs.form);

    expect(w.github.writes()).toEqual([
      {
        method: 'openPullRequest',
        args: [w.repo, { title: 'ST-1: A story', head: w.story.branch, base: 'main', body: storyPrBody(w.story.id, [{ taskTitle: 'Form', summary: 'Form built' }]) }],
      },
    ]);
    expect(outcome).toEqual({ kind: 'opened', number: 1, url: `https://github.com/${w.product.repo}/pull/1` });
    expect(await test.db.prisma.job.findUniqueOrThrow({ where: { id: w.jobs.form }, select: { pr_url: true } })).toEqual({ pr_url: outcome.kind === 'opened' ? outcome.url : null });
  });

  it("a sibling's done reuses the PR and sends the body with both summaries; the same body again sends nothing", async () => {
    const w = await world();
    await ensureStoryPullRequest(w.services, w.jobs.form);
    await w.finish(w.jobs.styles, 'Styles added');
    w.github.calls.length = 0;

    expect(await ensureStoryPullRequest(w.services, w.jobs.styles)).toMatchObject({ kind: 'reused', number: 1 });
    const both = storyPrBody(w.story.id, [
      { taskTitle: 'Form', summary: 'Form built' },
      { taskTitle: 'Styles', summary: 'Styles added' },
    ]);
    expect(w.github.writes()).toEqual([{ method: 'updatePullRequestBody', args: [w.repo, 1, both] }]);

    w.github.calls.length = 0;
    await ensureStoryPullRequest(w.services, w.jobs.styles);
    expect(w.github.calls).toEqual([]);
  });

  it('adopts the PR already open on the branch (a person, or an answer lost) instead of opening a second', async () => {
    const w = await world();
    w.github.addPull({ number: 12, head: w.story.branch, title: 'opened by hand' });

    expect(await ensureStoryPullRequest(w.services, w.jobs.form)).toMatchObject({ kind: 'adopted', number: 12 });
    expect(w.github.methods()).toEqual(['openPullRequest']);
    expect([...w.github.pulls.keys()]).toEqual([12]);
    // its body follows in the story's queue
    const { rows } = await test.db.pool.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'ensure_story_pr'`);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('opens nothing, and asks GitHub nothing, while the PBI has an open fail-cascade', async () => {
    const w = await world();
    const failed = await test.db.prisma.job.update({ where: { id: w.jobs.styles }, data: { status: 'FAILED' } });
    await test.db.prisma.cascade.create({ data: { pbi_id: failed.pbi_id!, open_pbi_id: failed.pbi_id!, failed_job_id: failed.id } });

    expect(await ensureStoryPullRequest(w.services, w.jobs.form)).toEqual({ kind: 'skipped', reason: 'the PBI has an open fail-cascade' });
    expect(w.github.calls).toEqual([]);
  });
});
