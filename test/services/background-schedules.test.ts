// The periodic background work runs as graphile-worker jobs (crontab), never
// from a timer of one process: each scheduled run happens once across
// replicas; the per-product reconcile comes back when GitHub's rate limit says,
// instead of asking again.
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import type { JobHelpers, TaskList } from 'graphile-worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { removeJobs } from '../support/graphile-jobs.ts';
import { testPrivateKey } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser, installationId } from '../support/seed.ts';
import { mockInstallationToken } from '../webhooks/support.ts';
import { until } from '../cascade/support.ts';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { probotGitHubAccess } from '../../src/services/github/access.ts';
import { backgroundTasks } from '../../src/services/background/tasks.ts';
import { backgroundCronItems, backgroundSchedule } from '../../src/services/background/schedule.ts';
import { startBackgroundWorker, type BackgroundWorker } from '../../src/services/background/worker.ts';
import { productReconcileJobKey, queueProductReconciles } from '../../src/services/pull-requests/reconcile.ts';

const api = 'https://api.github.com';
const log = createLogger('silent');
let database: TestDatabase;
const opened: { worker: BackgroundWorker; db: Database }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  for (const { worker, db } of opened.splice(0)) {
    await worker.stop();
    await db.close();
  }
  nock.cleanAll();
});
afterAll(async () => {
  await database?.drop();
});

/** What the tasks get in the app (the GitHub access is the app's own, through Probot; nock answers). */
function servicesOn(db: Database) {
  const probot = new Probot({ appId: 1, privateKey: testPrivateKey(), log, Octokit: ProbotOctokit });
  return { prisma: db.prisma, pool: db.pool, github: probotGitHubAccess(probot, createMetrics()), log, metrics: createMetrics(), config: { claimTimeoutSeconds: 1800 } };
}

/** A replica's worker: its own pool on the shared database. */
async function replica(taskList: (db: Database) => TaskList, schedule = backgroundSchedule([])) {
  const db = connectDatabase(database.url, { max: 4 });
  const worker = await startBackgroundWorker({ pool: db.pool, log, taskList: taskList(db), schedule });
  opened.push({ worker, db });
  return { worker, db };
}

const jobsOf = async (task: string) =>
  (
    await database.db.pool.query<{ key: string | null; run_at: Date; attempts: number; locked_by: string | null }>(
      `SELECT key, run_at, attempts, locked_by FROM graphile_worker.jobs WHERE task_identifier = $1`,
      [task],
    )
  ).rows;

describe('the crontab', () => {
  it('schedules every periodic task of the registry, each under a job key', () => {
    const tasks = backgroundTasks({ ...servicesOn(database.db) });
    expect(backgroundCronItems.map((item) => item.task).sort()).toEqual(['prune_retention', 'reconcile_products', 'redeliver_failed_webhooks', 'sweep_stale_claims']);
    for (const item of backgroundCronItems) {
      expect(tasks[item.task], item.task).toBeTypeOf('function');
      expect(item.options?.jobKey, item.task).toBe(item.task);
      expect(item.identifier, item.task).toBe(item.task);
    }
    expect(backgroundSchedule().map((item) => item.identifier)).toEqual(backgroundCronItems.map((item) => item.identifier));
  });

  it('runs each scheduled task from the queue once per scheduled time across two replicas', async () => {
    // a claim silent for two hours: the sweep requeues it
    const product = await seedProduct(database.db.prisma);
    const backlog = await seedBacklog(database.db.prisma, product.id, oneStoryBacklog([{ title: 'Stale' }]));
    const user = await seedUser(database.db.prisma);
    const [job] = await seedTaskJobs(database.db.prisma, user.name, [backlog.pbis[0]!.stories[0]!.tasks[0]!.id]);
    await database.db.pool.query(`UPDATE jobs SET status = 'CLAIMED', claimed_at = now(), heartbeat_at = now() - interval '2 hours' WHERE id = $1`, [job!.id]);
    // the healer asks GitHub for the app's deliveries: none failed
    const listed = nock(api).persist().get('/app/hook/deliveries').query(true).reply(200, []);
    nock(api)
      .persist()
      .post(`/app/installations/${installationId}/access_tokens`)
      .reply(201, { token: 'ghs_test', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} });
    nock(api).persist().get(`/repos/${product.repo}/pulls`).query(true).reply(200, []);

    const runs: { replica: string; task: string; ts: string | undefined }[] = [];
    const recorded = (name: string) => (db: Database) => {
      const tasks = backgroundTasks(servicesOn(db));
      return Object.fromEntries(
        Object.entries(tasks).map(([task, run]) => [
          task,
          async (payload: unknown, helpers: JobHelpers) => {
            runs.push({ replica: name, task, ts: (payload as { _cron?: { ts: string } } | null)?._cron?.ts });
            return run!(payload, helpers);
          },
        ]),
      );
    };
    // the production items, every minute (same identifiers and job keys), so the test waits one minute, not an hour
    const everyMinute = backgroundSchedule(backgroundCronItems.map((item) => ({ ...item, match: '* * * * *' })));
    await replica(recorded('a'), everyMinute);
    await replica(recorded('b'), everyMinute);

    const scheduled = ['sweep_stale_claims', 'redeliver_failed_webhooks', 'reconcile_products', 'prune_retention'];
    await until('every scheduled task to run', async () => scheduled.every((task) => runs.some((run) => run.task === task && run.ts)), 100_000);
    // stragglers of the same minute would show up by now
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const perMinute = new Map<string, number>();
    for (const run of runs.filter((r) => r.ts)) perMinute.set(`${run.task} @ ${run.ts}`, (perMinute.get(`${run.task} @ ${run.ts}`) ?? 0) + 1);
    for (const [key, count] of perMinute) expect(count, key).toBe(1);
    for (const task of scheduled) expect(runs.filter((r) => r.task === task && r.ts).length, task).toBeGreaterThan(0);

    // their effects: the stale claim requeued once, the product's reconcile queued and run, GitHub's delivery log read
    expect(await database.db.prisma.job.findUniqueOrThrow({ where: { id: job!.id } })).toMatchObject({ status: 'QUEUED', claimed_at: null });
    expect(await database.db.prisma.traceEntry.count({ where: { job_id: job!.id, message: { startsWith: 'requeued' } } })).toBe(1);
    await until('the product to be reconciled', async () => runs.some((r) => r.task === 'reconcile_product'), 30_000);
    expect(listed.isDone()).toBe(true);
  }, 150_000);
});

describe('reconcile_product', () => {
  /** A product with two open story PRs on record, and a worker that runs the real tasks. */
  async function reconcileWorld() {
    // only this test's product is reconciled
    await database.db.prisma.product.deleteMany();
    const product = await seedProduct(database.db.prisma);
    const backlog = await seedBacklog(database.db.prisma, product.id, {
      pbis: [{ title: 'PBI', stories: [1, 2].map((i) => ({ code: `R-${i}`, title: `Story ${i}`, tasks: [{ title: 'Task' }] })) }],
    });
    for (const [i, story] of backlog.pbis[0]!.stories.entries()) {
      await database.db.prisma.pullRequest.create({
        data: {
          product_id: product.id,
          story_id: story.id,
          repo: product.repo,
          number: 31 + i,
          title: story.title,
          html_url: `https://github.com/${product.repo}/pull/${31 + i}`,
          head_ref: story.branch,
          head_sha: 'a'.repeat(40),
          base_ref: 'main',
          state: 'OPEN',
        },
      });
    }
    mockInstallationToken(installationId);
    return product;
  }
  const secondaryRateLimit = (retryAfter: number) =>
    [403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': String(retryAfter) }] as const;

  it('comes back at the retry-after of a rate limit on the PR list, asking nothing more meanwhile', async () => {
    const product = await reconcileWorld();
    let lists = 0;
    nock(api)
      .persist()
      .get(`/repos/${product.repo}/pulls`)
      .query(true)
      .reply(() => {
        lists++;
        return [...secondaryRateLimit(120)];
      });
    await replica((db) => backgroundTasks(servicesOn(db)));
    const queuedAt = Date.now();
    await queueProductReconciles(servicesOn(database.db), { spacingSeconds: 0 });
    const [again] = await until('the reconcile to be put back', async () => {
      const jobs = (await jobsOf('reconcile_product')).filter((j) => j.key === productReconcileJobKey(product.id));
      return jobs.length === 1 && jobs[0]!.run_at.getTime() > queuedAt + 60_000 ? jobs : undefined;
    }, 30_000);
    expect(again!.key).toBe(productReconcileJobKey(product.id));
    expect(again!.attempts).toBe(0);
    expect(again!.run_at.getTime()).toBeGreaterThanOrEqual(queuedAt + 119_000);
    expect(again!.run_at.getTime()).toBeLessThanOrEqual(Date.now() + 121_000);
    // the hourly fan-out does not pull it forward
    await queueProductReconciles(servicesOn(database.db), { spacingSeconds: 0 });
    expect((await jobsOf('reconcile_product')).map((j) => j.run_at.getTime())).toEqual([again!.run_at.getTime()]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(lists).toBe(1);
    await removeJobs(database.db.pool);
  });

  it('stops at the first PR read GitHub rate-limits instead of going on to the next PR', async () => {
    const product = await reconcileWorld();
    const reads: string[] = [];
    nock(api).get(`/repos/${product.repo}/pulls`).query(true).reply(200, []);
    nock(api)
      .persist()
      .get(/\/pulls\/\d+$/)
      .reply((uri) => {
        reads.push(uri.split('/').at(-1)!);
        return [...secondaryRateLimit(30)];
      });
    await replica((db) => backgroundTasks(servicesOn(db)));
    const queuedAt = Date.now();
    await queueProductReconciles(servicesOn(database.db), { spacingSeconds: 0 });
    const [again] = await until('the reconcile to be put back', async () => {
      const jobs = (await jobsOf('reconcile_product')).filter((j) => j.key === productReconcileJobKey(product.id));
      return jobs.length === 1 && jobs[0]!.run_at.getTime() > queuedAt + 20_000 ? jobs : undefined;
    }, 30_000);
    expect(again!.run_at.getTime()).toBeGreaterThanOrEqual(queuedAt + 29_000);
    expect(reads).toEqual(['31']);
    await removeJobs(database.db.pool);
  });
});
