// The story PR's background work: the existing `ensure_story_pr` task on one
// graphile-worker queue per story, so its GitHub writes for one story run one
// at a time (jobs of one queue never overlap, on any replica).
import type { Prisma } from '../../generated/prisma/client.ts';
import { enqueueBackground } from '../background/enqueue.ts';

type Tx = Pick<Prisma.TransactionClient, '$executeRawUnsafe'>;

export const storyPrQueue = (storyId: string) => `story-pr:${storyId}`;

/**
 * Brings the story PR's body up to date. One pending per story: a later call
 * replaces it, and a call while one runs queues a fresh one after it (what it
 * read may predate this call's summary), so the last one sends every summary.
 */
export async function queueStoryPrBody(tx: Tx, storyId: string, jobId: string): Promise<void> {
  await enqueueBackground(tx, 'ensure_story_pr', { job_id: jobId }, { queueName: storyPrQueue(storyId), jobKey: `story-pr-body:${storyId}` });
}

/** A job's PR step that failed on GitHub, retried with backoff (S7: a warning, made in the background). */
export async function queueStoryPrRetry(tx: Tx, storyId: string, jobId: string): Promise<void> {
  await enqueueBackground(tx, 'ensure_story_pr', { job_id: jobId }, { queueName: storyPrQueue(storyId), jobKey: `pr:${jobId}` });
}
