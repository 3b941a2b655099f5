// Queues the refresh of a story's check run, serially per story, de-duplicated.
// One definition (queueCheckRefreshSql, and checkRefreshJob as data) serves Prisma
// transactions and statements that change a story's jobs themselves.
import type { Prisma } from '../../generated/prisma/client.ts';
import { enqueueBackground, type BackgroundJobSpec } from '../background/enqueue.ts';

const storyQueuePrefix = 'story:';
const checkJobKeyPrefix = 'check:';
const checkMaxAttempts = 25;
export const storyQueue = (storyId: string) => `${storyQueuePrefix}${storyId}`;

/** The refresh as an SQL expression (`storyId`: an SQL expression of type text). */
export const queueCheckRefreshSql = (storyId: string) =>
  `graphile_worker.add_job('refresh_story_check', json_build_object('story_id', ${storyId}),
     queue_name => '${storyQueuePrefix}' || ${storyId}, max_attempts => ${checkMaxAttempts}, job_key => '${checkJobKeyPrefix}' || ${storyId})`;

/** The same refresh as data, for statements that add their jobs from a list (the pull_request delivery). */
export const checkRefreshJob = (storyId: string): BackgroundJobSpec => ({
  task: 'refresh_story_check',
  payload: { story_id: storyId },
  queueName: storyQueue(storyId),
  jobKey: `${checkJobKeyPrefix}${storyId}`,
  maxAttempts: checkMaxAttempts,
});

type Tx = Pick<Prisma.TransactionClient, '$executeRaw' | '$executeRawUnsafe'>;

/** `resend`: send the check run even when GitHub already shows this state (a person asked for a re-run). */
export async function queueCheckRefresh(tx: Tx, storyId: string, options: { resend?: boolean } = {}): Promise<void> {
  if (options.resend) {
    await enqueueBackground(tx, 'refresh_story_check', { story_id: storyId, resend: 'true' }, { queueName: storyQueue(storyId), jobKey: `check-resend:${storyId}` });
    return;
  }
  await tx.$executeRawUnsafe(`SELECT ${queueCheckRefreshSql('$1::text')}`, storyId);
}
