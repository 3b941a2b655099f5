// A PR record written by the delivery's own SQL is a row like the ones Prisma
// writes: an id from the same generator, and the values Prisma reads back.
import cuid from '@bugsnag/cuid';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPullRequestEvent } from '../../../src/services/pull-requests/pull-request-events.ts';
import type { GitHubPull } from '../../../src/services/pull-requests/pull-state.ts';
import { recordPullRequest } from '../../../src/services/pull-requests/record-pull-request.ts';
import { snapshotOf } from '../../../src/services/pull-requests/pull-state.ts';
import { withTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct } from '../../support/seed.ts';
import { pullRequestPayload, repoId, sha } from '../../webhooks/support.ts';

let database: TestDatabase;
let product: { id: string; repo: string; github_repo_id: bigint | null; repo_updated_at: Date | null };
let story: { id: string; branch: string };

beforeAll(async () => {
  database = await createTestDatabase();
  const { prisma } = database.db;
  const created = await seedProduct(prisma, { repo: 'acme/record-ids' });
  product = await prisma.product.update({ where: { id: created.id }, data: { github_repo_id: BigInt(repoId(created.repo)) } });
  story = (await seedBacklog(prisma, product.id, oneStoryBacklog([{ title: 'Task' }]))).pbis[0]!.stories[0]!;
});
afterAll(async () => {
  await database?.drop();
});

const opened = (number: number) =>
  pullRequestPayload('opened', { repo: product.repo, installationId, number, headRef: story.branch, headSha: sha('a'), updatedAt: '2024-01-01T12:00:01.123Z' });

describe('a PR record written by hand-written SQL', () => {
  it('gets an id from the generator Prisma uses, and reads back exactly as Prisma reads the row', async () => {
    const payload = opened(1);
    const outcome = await applyPullRequestEvent(
      { pool: database.db.pool },
      { id: randomUUID(), event: 'pull_request', action: 'opened' },
      { pull: payload.pull_request as GitHubPull, repository: payload.repository },
    );
    expect(outcome.kind).toBe('created');
    const record = (outcome as { record: { id: string } }).record;
    // Prisma's own ids in the same database: the product's and the story's
    expect(cuid.isCuid(product.id) && cuid.isCuid(story.id)).toBe(true);
    expect(cuid.isCuid(record.id)).toBe(true);
    expect(record.id).toHaveLength(product.id.length);
    expect(record).toEqual(await database.db.prisma.pullRequest.findUniqueOrThrow({ where: { id: record.id } }));
  });

  it('the locking path (the reconcile’s and the cascade’s) does the same', async () => {
    const payload = opened(2);
    const outcome = await withTransaction(database.db.pool, (sql) =>
      recordPullRequest(sql, product, snapshotOf(payload.pull_request as GitHubPull), { kind: 'reconcile' }),
    );
    expect(outcome.kind).toBe('created');
    const record = (outcome as { record: { id: string } }).record;
    expect(cuid.isCuid(record.id)).toBe(true);
    expect(record).toEqual(await database.db.prisma.pullRequest.findUniqueOrThrow({ where: { id: record.id } }));
  });
});
