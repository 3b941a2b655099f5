// Queues the refresh of a story's check run, serially per story, de-duplicated.
// One definition, checkRefreshJob: added as it is by Prisma transactions
// (queueCheckRefresh) and by statements that add jobs from a list (the
// pull_request delivery), and rendered as SQL (queueCheckRefreshSql) for
// statements that know the story only in SQL (the status call's).
import { addJobSql } from '../../db/sql/background-jobs.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { enqueueJob, jobSpecSql, type BackgroundJobSpec } from '../background/enqueue.ts';

export const storyQueue = (storyId: string) => `story:${storyId}`;

/**
 * The refresh of the story's check run. `resend`: send the check run even when
 * GitHub already shows this state (a person asked for a re-run); its own key, so
 * a pending plain refresh does not swallow it.
 */
export const checkRefreshJob = (storyId: string, options: { resend?: boolean } = {}): BackgroundJobSpec => ({
  task: 'refresh_story_check',
  payload: options.resend ? { story_id: storyId, resend: 'true' } : { story_id: storyId },
  queueName: storyQueue(storyId),
  jobKey: options.resend ? `check-resend:${storyId}` : `check:${storyId}`,
  maxAttempts: 25,
});

/** never in a story id (cuids are [a-z0-9]) */
const storyIdMarker = '\u0000story_id\u0000';

/** checkRefreshJob as an SQL expression (`storyId`: an SQL expression of type text). */
export const queueCheckRefreshSql = (storyId: string) => addJobSql(jobSpecSql(checkRefreshJob(storyIdMarker), { marker: storyIdMarker, sql: storyId }));

type Tx = Pick<Prisma.TransactionClient, '$executeRawUnsafe'>;

/** checkRefreshJob, added in the caller's transaction. */
export async function queueCheckRefresh(tx: Tx, storyId: string, options: { resend?: boolean } = {}): Promise<void> {
  await enqueueJob(tx, checkRefreshJob(storyId, options));
}
