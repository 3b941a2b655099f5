// The story's "Scrum4Me" check run against the git-backed fake GitHub: one per
// head sha even when GitHub's answer to its creation is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../../src/generated/prisma/client.ts';
import { storyDoneSummaries } from '../../src/db/sql/story-done-summaries.ts';
import { refreshStoryCheck } from '../../src/services/checks/story-check.ts';
import { claimTask, finishTask, startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { fakeGitHubAccess, FakeGitHubPort } from '../support/fake-github-port.ts';
import { jobReads, recordingDatabase, type RecordingDatabase } from '../support/recording-database.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedUser } from '../support/seed.ts';

let world: CascadeWorld;

const checkRunCalls = (method: 'POST' | 'PATCH') =>
  world.fake.calls.filter((c) => c.method === method && (method === 'POST' ? /\/repos\/[^/]+\/[^/]+\/check-runs$/.test(c.path) : c.path.includes('/check-runs/')));

describe('the story check run', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    world = await startCascadeWorld('acme/check-once');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is created once when the answer to its creation is lost: the retry finds it by external_id and updates it', async () => {
    const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
      body: { pbis: [{ title: 'Checks', stories: [{ code: 'CO', title: 'Check once', tasks: [{ title: 'Only', plan_paths: ['only.txt'] }] }] }] },
    });
    expect(imported.status).toBe(201);
    const story = imported.body.pbis[0].stories[0];
    // GitHub creates the check run, then the answer is lost (a dropped connection, or the app dying before it saves)
    world.fake.faults.inject({ route: 'POST /repos/{owner}/{repo}/check-runs', afterEffect: true, status: 502, times: 1 });

    const job = await claimTask(world, story.tasks[0].id, 10);
    const done = await finishTask(world, job, [{ 'only.txt': 'only\n' }], 'The only task of the story');
    expect(done.pr_url).not.toBeNull();

    // the background retry saves the run it finds on GitHub
    const saved = await until('the check run saved', () => world.app.db.prisma.checkRun.findFirst({ where: { story_id: story.id } }), 60_000);
    await until('the check run completed on GitHub', async () => world.fake.checkRuns(world.repo).find((run) => run.status === 'completed'), 30_000);

    const runs = world.fake.checkRuns(world.repo);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({ name: 'Scrum4Me', conclusion: 'success', externalId: `scrum4me:${story.id}:${run.headSha}` });
    expect(saved).toMatchObject({ github_id: BigInt(run.id), head_sha: run.headSha });

    const posts = checkRunCalls('POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.requestBody).toMatchObject({ name: 'Scrum4Me', head_sha: run.headSha, external_id: `scrum4me:${story.id}:${run.headSha}` });
    const lookups = world.fake.calls.filter((c) => c.method === 'GET' && /\/commits\/[^/]+\/check-runs$/.test(c.path));
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(lookups.at(-1)!.query).toMatchObject({ check_name: 'Scrum4Me' });
    const patches = checkRunCalls('PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(1);
    expect(patches.every((c) => c.path.endsWith(`/check-runs/${run.id}`))).toBe(true);
  });
});

describe('the check refresh reads', () => {
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

  it("each task's newest job with one statement bounded per task, however long the history", async () => {
    const { prisma } = test.db;
    const product = await seedProduct(prisma);
    const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Form' }, { title: 'Styles' }, { title: 'Never queued' }]));
    const story = backlog.pbis[0]!.stories[0]!;
    const user = await seedUser(prisma);
    const [form, styles] = story.tasks;
    const base = Date.parse('2026-01-01T00:00:00Z');
    // 40 old failed attempts each; the newest job decides (a tie on created_at goes to the larger id)
    const history = (taskId: string) =>
      Array.from({ length: 40 }, (_, i) => ({ id: `${taskId}-old-${String(i).padStart(2, '0')}`, created_at: new Date(base + i * 1000), status: 'FAILED' as const, task_id: taskId }));
    const common = { kind: 'TASK_IMPLEMENTATION' as const, user_id: user.id, product_id: product.id, pbi_id: backlog.pbis[0]!.id, story_id: story.id };
    const jobs: Omit<Prisma.JobCreateManyInput, keyof typeof common>[] = [
      ...history(form!.id),
      ...history(styles!.id),
      { id: `${form!.id}-new-a`, created_at: new Date(base + 100_000), status: 'CANCELLED', task_id: form!.id },
      { id: `${form!.id}-new-b`, created_at: new Date(base + 100_000), status: 'DONE', task_id: form!.id, summary: 'Form built', verify_result: 'ALIGNED' },
      { id: `${styles!.id}-new`, created_at: new Date(base + 100_000), status: 'RUNNING', task_id: styles!.id },
    ];
    await prisma.job.createMany({ data: jobs.map((job) => ({ ...common, ...job })) });
    await prisma.pullRequest.create({
      data: { product_id: product.id, story_id: story.id, repo: product.repo, number: 3, title: 'ST-1: A story', html_url: 'https://github.com/x/pull/3', head_ref: story.branch, head_sha: 'c'.repeat(40), base_ref: 'main', state: 'OPEN' },
    });
    const github = new FakeGitHubPort();

    recorded.statements.length = 0;
    expect(await refreshStoryCheck({ prisma: recorded.prisma, github: fakeGitHubAccess(github) }, story.id)).toBe('created');

    const reads = jobReads(recorded.statements);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/LIMIT 1/);
    expect(github.methods()).toEqual(['upsertCheckRun']);
    const [repo, run, fields] = github.calls[0]!.args as [unknown, unknown, { status: string; output: { text: string } }];
    expect([repo, run]).toEqual([{ owner: product.repo.split('/')[0], repo: product.repo.split('/')[1] }, { headSha: 'c'.repeat(40), externalId: `scrum4me:${story.id}:${'c'.repeat(40)}`, knownId: null }]);
    expect(github.checkRuns).toHaveLength(1);
    expect(fields.status).toBe('in_progress');
    const text = fields.output.text;
    expect(text.split('\n').slice(2, 5)).toEqual(['| Form | done | aligned | – | – | Form built |', '| Styles | running | – | – | – | – |', '| Never queued | not queued | – | – | – | – |']);
  });
});

describe("the story PR body's summaries", () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test?.drop();
  });

  it("are each task's newest done summary, in the order they were finished, also when the task was queued again since", async () => {
    const { prisma } = test.db;
    const product = await seedProduct(prisma);
    const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Redone' }, { title: 'Later' }, { title: 'Failed' }, { title: 'Never' }]));
    const story = backlog.pbis[0]!.stories[0]!;
    const [redone, later, failed] = story.tasks;
    const user = await seedUser(prisma);
    const at = (minute: number) => new Date(Date.parse('2026-03-01T00:00:00Z') + minute * 60_000);
    const common = { kind: 'TASK_IMPLEMENTATION' as const, user_id: user.id, product_id: product.id, pbi_id: backlog.pbis[0]!.id, story_id: story.id };
    const jobs: Omit<Prisma.JobCreateManyInput, keyof typeof common>[] = [
      { task_id: redone!.id, created_at: at(0), finished_at: at(5), status: 'DONE', summary: 'first try' },
      { task_id: redone!.id, created_at: at(10), finished_at: at(20), status: 'DONE', summary: 'second try' },
      { task_id: redone!.id, created_at: at(30), status: 'QUEUED' },
      { task_id: later!.id, created_at: at(1), finished_at: at(15), status: 'DONE', summary: 'later work' },
      { task_id: failed!.id, created_at: at(2), finished_at: at(3), status: 'FAILED', error: 'no' },
    ];
    await prisma.job.createMany({ data: jobs.map((job) => ({ ...common, ...job })) });
    expect(await storyDoneSummaries(prisma, story.id)).toEqual([
      { task_id: later!.id, title: 'Later', summary: 'later work' },
      { task_id: redone!.id, title: 'Redone', summary: 'second try' },
    ]);
    expect(await storyDoneSummaries(test.db.pool, story.id)).toEqual(await storyDoneSummaries(prisma, story.id));
  });
});
