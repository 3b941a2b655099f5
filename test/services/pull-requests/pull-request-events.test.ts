// applyPullRequestEvent on a real database: any order of deliveries ends in the
// newest state, the change hook runs inside the delivery's transaction.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../../src/db/client.ts';
import { applyPullRequestEvent, type PullRequestChange } from '../../../src/services/pull-requests/pull-request-events.ts';
import type { GitHubPull } from '../../../src/services/pull-requests/pull-state.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct } from '../../support/seed.ts';
import { pullRequestPayload, sha, type Payload, type PullOptions } from '../../webhooks/support.ts';

let database: TestDatabase;
let prisma: PrismaClient;
let product: { id: string; repo: string };
let branch: string;
let nextNumber = 100;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 10 });
  prisma = database.db.prisma;
  product = await seedProduct(prisma, { repo: 'acme/events' });
  branch = (await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]))).pbis[0]!.stories[0]!.branch;
});
afterAll(async () => {
  await database?.drop();
});

const apply = (payload: Payload, options: Parameters<typeof applyPullRequestEvent>[3] = {}, id = randomUUID()) =>
  applyPullRequestEvent({ pool: database.db.pool }, { id, event: 'pull_request', action: payload.action }, { pull: payload.pull_request as GitHubPull, repository: payload.repository }, options);

const at = (second: number) => new Date(Date.UTC(2024, 0, 1, 12, 0, second)).toISOString();

/** A PR's life, one event per second: open, push, close, reopen, push, merge. */
function timeline(pull: PullOptions) {
  const a = sha(`${pull.number} a`);
  const b = sha(`${pull.number} b`);
  const c = sha(`${pull.number} c`);
  return [
    { payload: pullRequestPayload('opened', { ...pull, headSha: a, updatedAt: at(1) }), state: 'OPEN', head: a },
    { payload: pullRequestPayload('synchronize', { ...pull, headSha: b, updatedAt: at(2) }), state: 'OPEN', head: b },
    { payload: pullRequestPayload('closed', { ...pull, headSha: b, updatedAt: at(3) }), state: 'CLOSED', head: b },
    { payload: pullRequestPayload('reopened', { ...pull, headSha: b, updatedAt: at(4) }), state: 'OPEN', head: b },
    { payload: pullRequestPayload('synchronize', { ...pull, headSha: c, updatedAt: at(5) }), state: 'OPEN', head: c },
    { payload: pullRequestPayload('closed.merged', { ...pull, headSha: c, updatedAt: at(6), mergeCommitSha: sha(`${pull.number} m`) }), state: 'MERGED', head: c },
  ];
}

const pullOptions = (): PullOptions => ({ repo: product.repo, installationId, number: nextNumber++, headRef: branch });
const recordOf = (number: number) => prisma.pullRequest.findUnique({ where: { product_id_number: { product_id: product.id, number } } });

describe('any delivery order', () => {
  it('ends in the state of the newest event, delivered one by one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 1 }), async (order) => {
        const pull = pullOptions();
        const events = timeline(pull);
        for (const i of order) await apply(events[i]!.payload);
        const newest = events[Math.max(...order)]!;
        expect(await recordOf(pull.number)).toMatchObject({ state: newest.state, head_sha: newest.head });
      }),
      { numRuns: 40 },
    );
  });

  it('ends in the state of the newest event, delivered all at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 2 }), async (order) => {
        const pull = pullOptions();
        const events = timeline(pull);
        await Promise.all(order.map((i) => apply(events[i]!.payload)));
        const newest = events[Math.max(...order)]!;
        expect(await recordOf(pull.number)).toMatchObject({ state: newest.state, head_sha: newest.head });
      }),
      { numRuns: 20 },
    );
  });
});

describe('the change hook', () => {
  it('sees each real change with the previous record, and not stale or repeated news', async () => {
    const pull = pullOptions();
    const events = timeline(pull);
    const seen: PullRequestChange[] = [];
    const afterChange = async (_tx: unknown, change: PullRequestChange) => {
      seen.push(change);
    };
    expect((await apply(events[0]!.payload, { afterChange })).kind).toBe('created');
    expect((await apply(events[1]!.payload, { afterChange })).kind).toBe('updated');
    expect((await apply(events[1]!.payload, { afterChange })).kind).toBe('unchanged');
    expect((await apply(events[0]!.payload, { afterChange })).kind).toBe('stale');
    expect(seen.map((c) => [c.previous?.head_sha ?? null, c.record.head_sha])).toEqual([
      [null, events[0]!.head],
      [events[0]!.head, events[1]!.head],
    ]);
  });

  it('rolls the delivery back when it throws, so a redelivery applies it', async () => {
    const pull = pullOptions();
    const events = timeline(pull);
    await apply(events[0]!.payload);
    const id = randomUUID();
    const failing = async () => {
      throw new Error('queue unavailable');
    };
    await expect(apply(events[2]!.payload, { afterChange: failing }, id)).rejects.toThrow('queue unavailable');
    expect((await recordOf(pull.number))!.state).toBe('OPEN');
    expect(await prisma.webhookDelivery.count({ where: { id } })).toBe(0);
    expect((await apply(events[2]!.payload, {}, id)).kind).toBe('updated');
    expect((await recordOf(pull.number))!.state).toBe('CLOSED');
    expect((await apply(events[2]!.payload, {}, id)).kind).toBe('duplicate');
  });

  it('reports when a merged PR still needs its merge method', async () => {
    const pull = pullOptions();
    const outcome = await apply(timeline(pull)[5]!.payload);
    expect(outcome).toMatchObject({ kind: 'created', needsMergeMethod: true, record: { state: 'MERGED', merge_method: null } });
  });
});
