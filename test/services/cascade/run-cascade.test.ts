// What a cascade run does with a step's failure (S18), on the in-memory GitHub
// port: GitHub's transient trouble and a database out of reach leave the step
// pending for the queue's retry; anything else (a bug, a 404) fails the step
// with a warning at once instead of being retried to the last attempt.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.ts';
import { runCascade } from '../../../src/services/cascade/run-cascade.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { fakeGitHubAccess, FakeGitHubPort, gitHubError } from '../../support/fake-github-port.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../../support/seed.ts';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  await runMigrations({ pgPool: test.db.pool });
});
afterAll(async () => {
  await test?.drop();
});

const log = { info() {}, warn() {}, error() {}, debug() {} } as never;
let repositories = 500;

/** A failed task's cascade with one pending step on its story branch. */
async function cascadeWorld() {
  const { prisma } = test.db;
  const repositoryId = ++repositories;
  const seeded = await seedProduct(prisma);
  const product = await prisma.product.update({ where: { id: seeded.id }, data: { github_repo_id: BigInt(repositoryId) } });
  const backlog = await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Form' }]));
  const story = backlog.pbis[0]!.stories[0]!;
  const user = await seedUser(prisma);
  const [job] = await seedTaskJobs(prisma, user.name, [story.tasks[0]!.id]);
  await prisma.job.update({ where: { id: job!.id }, data: { status: 'FAILED', error: 'tests failed', finished_at: new Date() } });
  const cascade = await prisma.cascade.create({
    data: { pbi_id: backlog.pbis[0]!.id, open_pbi_id: backlog.pbis[0]!.id, failed_job_id: job!.id, steps: { create: [{ branch: story.branch, action: 'DELETE_BRANCH', position: 0 }] } },
  });
  const github = new FakeGitHubPort({ fullName: product.repo, id: repositoryId });
  github.branches.add(story.branch);
  const services = { prisma, pool: test.db.pool, github: fakeGitHubAccess(github), log, metrics: createMetrics() };
  const stepOf = () => prisma.cascadeStep.findFirstOrThrow({ where: { cascade_id: cascade.id }, select: { state: true, warning: true } });
  return { cascade, story, github, services, stepOf };
}

const firstAttempt = { attempt: 1, maxAttempts: 5 };

describe('runCascade: which step failures are retried', () => {
  it('a dropped database connection leaves the step pending and is thrown for the queue to retry', async () => {
    const w = await cascadeWorld();
    w.github.failNext('readPullRequestForBranch', new Error('Connection terminated unexpectedly'));

    await expect(runCascade(w.services, w.cascade.id, firstAttempt)).rejects.toThrow('Connection terminated unexpectedly');
    expect(await w.stepOf()).toEqual({ state: 'PENDING', warning: null });
  });

  it('a 502 from GitHub leaves the step pending and is thrown for the queue to retry', async () => {
    const w = await cascadeWorld();
    w.github.failNext('readPullRequestForBranch', gitHubError(502));

    await expect(runCascade(w.services, w.cascade.id, firstAttempt)).rejects.toMatchObject({ status: 502 });
    expect(await w.stepOf()).toEqual({ state: 'PENDING', warning: null });
  });

  it('a bug (a TypeError) fails the step with a warning at once: no retry would change it', async () => {
    const w = await cascadeWorld();
    w.github.failNext('readPullRequestForBranch', new TypeError("Cannot read properties of undefined (reading 'ref')"));

    await runCascade(w.services, w.cascade.id, firstAttempt);
    expect(await w.stepOf()).toEqual({ state: 'FAILED', warning: `Cannot read properties of undefined (reading 'ref'): undo ${w.story.branch} by hand` });
    expect(w.github.writes()).toEqual([]);
    expect(await test.db.prisma.cascade.findUniqueOrThrow({ where: { id: w.cascade.id }, select: { status: true } })).toEqual({ status: 'DONE' });
  });

  it('the database away while the repository guard is read is thrown too, before any step', async () => {
    const w = await cascadeWorld();
    w.github.failNext('readRepositoryGuards', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));

    await expect(runCascade(w.services, w.cascade.id, firstAttempt)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await w.stepOf()).toEqual({ state: 'PENDING', warning: null });
    expect(w.github.methods()).toEqual(['readRepositoryGuards']);
  });
});
