// A pull_request delivery in two statements and no transaction
// (pull-request-delivery.ts): what it sends, and that a record changed between
// its read and its write is decided again, never overwritten with older news.
import { randomUUID } from 'node:crypto';
import { runMigrations } from 'graphile-worker';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../../src/db/client.ts';
import { checkRefreshJob } from '../../../src/services/checks/queue-check-refresh.ts';
import { applyPullRequestEvent, type PullRequestChangeJobs } from '../../../src/services/pull-requests/pull-request-events.ts';
import type { GitHubPull } from '../../../src/services/pull-requests/pull-state.ts';
import { mergeMethodJob, needsMergeMethod } from '../../../src/services/pull-requests/queue-merge-method.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { removeJobs } from '../../support/graphile-jobs.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct } from '../../support/seed.ts';
import { pullRequestPayload, repoId, sha, type Payload } from '../../webhooks/support.ts';

let database: TestDatabase;
let prisma: PrismaClient;
let product: { id: string; repo: string };
let story: { id: string; branch: string };
let nextNumber = 1;

// the app's jobs (src/index.ts and handlers/webhooks/index.ts)
const jobs: PullRequestChangeJobs = (change) => [
  ...(needsMergeMethod(change.record) ? [mergeMethodJob(change.record.id)] : []),
  ...(change.record.story_id ? [checkRefreshJob(change.record.story_id)] : []),
];

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 10 });
  prisma = database.db.prisma;
  await runMigrations({ pgPool: database.db.pool });
  const created = await seedProduct(prisma, { repo: 'acme/two-statements' });
  product = await prisma.product.update({ where: { id: created.id }, data: { github_repo_id: BigInt(repoId(created.repo)) } });
  story = (await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]))).pbis[0]!.stories[0]!;
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await removeJobs(database.db.pool);
});

interface Counted {
  pool: pg.Pool;
  /** prepared statement names (or the first words of unnamed ones), in order */
  statements: string[];
  connects: number;
}

/** The pool, counting what is sent through it; `onRead` runs after each `pull-delivery-read` answers. */
function counting(pool: pg.Pool, onRead?: (turn: number) => Promise<void>): Counted {
  const counted: Counted = { pool: undefined as unknown as pg.Pool, statements: [], connects: 0 };
  let reads = 0;
  counted.pool = new Proxy(pool, {
    get(target, property) {
      if (property === 'query') {
        return async (config: string | { name?: string; text: string }, values?: unknown[]) => {
          const name = typeof config === 'string' ? config.trim().split(/\s+/).slice(0, 3).join(' ') : (config.name ?? config.text.trim().split(/\s+/).slice(0, 3).join(' '));
          counted.statements.push(name);
          const result = await target.query(config as never, values as never);
          if (name === 'pull-delivery-read' && onRead) await onRead(reads++);
          return result;
        };
      }
      if (property === 'connect') {
        counted.connects++;
        return target.connect.bind(target);
      }
      return Reflect.get(target, property, target) as unknown;
    },
  });
  return counted;
}

const at = (second: number) => new Date(Date.UTC(2024, 0, 1, 12, 0, second)).toISOString();
const pull = (kind: Parameters<typeof pullRequestPayload>[0], number: number, second: number, head: string, extra: { mergeCommitSha?: string } = {}) =>
  pullRequestPayload(kind, { repo: product.repo, installationId, number, headRef: story.branch, headSha: sha(head), updatedAt: at(second), ...extra });

const deliver = (pool: pg.Pool, payload: Payload, id = randomUUID()) =>
  applyPullRequestEvent({ pool }, { id, event: 'pull_request', action: payload.action }, { pull: payload.pull_request as GitHubPull, repository: payload.repository }, { jobsAfterChange: jobs });

async function queuedJobs(): Promise<{ task: string; key: string | null }[]> {
  const { rows } = await database.db.pool.query<{ task: string; key: string | null }>(
    `SELECT task_identifier AS task, key FROM graphile_worker.jobs ORDER BY task_identifier`,
  );
  return rows;
}

const recordOf = (number: number) => prisma.pullRequest.findUniqueOrThrow({ where: { product_id_number: { product_id: product.id, number } } });

describe('a pull_request delivery', () => {
  it('on a story PR we hold: two statements on the pool, no transaction, the check refresh added by the write', async () => {
    const number = nextNumber++;
    expect((await deliver(database.db.pool, pull('opened', number, 1, 'a'))).kind).toBe('created');
    await removeJobs(database.db.pool);

    const counted = counting(database.db.pool);
    const id = randomUUID();
    expect((await deliver(counted.pool, pull('synchronize', number, 2, 'b'), id)).kind).toBe('updated');
    expect(counted.statements).toEqual(['pull-delivery-read', 'pull-delivery-update-jobs']);
    expect(counted.connects).toBe(0);
    expect((await recordOf(number)).head_sha).toBe(sha('b'));
    expect(await prisma.webhookDelivery.count({ where: { id } })).toBe(1);
    expect(await queuedJobs()).toEqual([{ task: 'refresh_story_check', key: `check:${story.id}` }]);
  });

  it('of a PR we hold no record of: the read, then the insert with its jobs', async () => {
    const counted = counting(database.db.pool);
    expect((await deliver(counted.pool, pull('opened', nextNumber++, 1, 'a'))).kind).toBe('created');
    expect(counted.statements).toEqual(['pull-delivery-read', 'pull-delivery-insert-jobs']);
    expect(counted.connects).toBe(0);
    expect(await queuedJobs()).toEqual([{ task: 'refresh_story_check', key: `check:${story.id}` }]);
  });

  it('that changes nothing: the read, then the delivery row alone', async () => {
    const number = nextNumber++;
    const opened = pull('opened', number, 1, 'a');
    await deliver(database.db.pool, opened);
    await removeJobs(database.db.pool);
    const counted = counting(database.db.pool);
    expect((await deliver(counted.pool, opened)).kind).toBe('stale');
    expect(counted.statements).toEqual(['pull-delivery-read', 'pull-delivery-record']);
    expect(await queuedJobs()).toEqual([]);
  });

  it('a merge: the merge-method lookup and the check refresh in the same write', async () => {
    const number = nextNumber++;
    await deliver(database.db.pool, pull('opened', number, 1, 'a'));
    await removeJobs(database.db.pool);
    const outcome = await deliver(database.db.pool, pull('closed.merged', number, 2, 'a', { mergeCommitSha: sha('m') }));
    expect(outcome).toMatchObject({ kind: 'updated', needsMergeMethod: true });
    const record = await recordOf(number);
    expect(await queuedJobs()).toEqual([
      { task: 'refresh_story_check', key: `check:${story.id}` },
      { task: 'resolve_merge_method', key: `merge-method:${record.id}` },
    ]);
  });

  it('whose record changed between its read and its write is decided again: older news never overwrites', async () => {
    const number = nextNumber++;
    await deliver(database.db.pool, pull('opened', number, 1, 'a'));
    // between our read and our write, a newer push is recorded by another delivery
    const counted = counting(database.db.pool, async (turn) => {
      if (turn === 0) expect((await deliver(database.db.pool, pull('synchronize', number, 3, 'c'))).kind).toBe('updated');
    });
    const id = randomUUID();
    const outcome = await deliver(counted.pool, pull('synchronize', number, 2, 'b'), id);
    expect(outcome.kind).toBe('stale');
    expect(counted.statements).toEqual(['pull-delivery-read', 'pull-delivery-update-jobs', 'pull-delivery-read', 'pull-delivery-record']);
    expect((await recordOf(number)).head_sha).toBe(sha('c'));
    expect(await prisma.webhookDelivery.count({ where: { id } })).toBe(1);
  });

  it('sent twice at once is applied and recorded once', async () => {
    const number = nextNumber++;
    await deliver(database.db.pool, pull('opened', number, 1, 'a'));
    const id = randomUUID();
    const payload = pull('synchronize', number, 2, 'b');
    const outcomes = await Promise.all([deliver(database.db.pool, payload, id), deliver(database.db.pool, payload, id)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['duplicate', 'updated']);
    expect(await prisma.webhookDelivery.count({ where: { id } })).toBe(1);
    expect((await recordOf(number)).head_sha).toBe(sha('b'));
  });

  it('a redelivery of one recorded long ago: the read alone', async () => {
    const number = nextNumber++;
    const id = randomUUID();
    await deliver(database.db.pool, pull('opened', number, 1, 'a'), id);
    const counted = counting(database.db.pool);
    expect((await deliver(counted.pool, pull('opened', number, 1, 'a'), id)).kind).toBe('duplicate');
    expect(counted.statements).toEqual(['pull-delivery-read']);
  });
});
