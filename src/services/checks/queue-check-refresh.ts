// Queues the refresh of a story's check run, serially per story, de-duplicated.
// One SQL definition (queueCheckRefreshSql) serves Prisma transactions, pg
// transactions and statements that change a story's jobs themselves.
import type { Queryable } from '../../db/queryable.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { enqueueBackground } from '../background/enqueue.ts';

const storyQueuePrefix = 'story:';
export const storyQueue = (storyId: string) => `${storyQueuePrefix}${storyId}`;

/** The refresh as an SQL expression (`storyId`: an SQL expression of type text). */
export const queueCheckRefreshSql = (storyId: string) =>
  `graphile_worker.add_job('refresh_story_check', json_build_object('story_id', ${storyId}),
     queue_name => '${storyQueuePrefix}' || ${storyId}, max_attempts => 25, job_key => 'check:' || ${storyId})`;

type Tx = Pick<Prisma.TransactionClient, '$executeRaw' | '$executeRawUnsafe'>;

/** `resend`: send the check run even when GitHub already shows this state (a person asked for a re-run). */
export async function queueCheckRefresh(tx: Tx, storyId: string, options: { resend?: boolean } = {}): Promise<void> {
  if (options.resend) {
    await enqueueBackground(tx, 'refresh_story_check', { story_id: storyId, resend: 'true' }, { queueName: storyQueue(storyId), jobKey: `check-resend:${storyId}` });
    return;
  }
  await tx.$executeRawUnsafe(`SELECT ${queueCheckRefreshSql('$1::text')}`, storyId);
}

/** queueCheckRefresh inside a pg transaction (the webhook path). */
export async function queueCheckRefreshIn(sql: Queryable, storyId: string): Promise<void> {
  await sql.query({ name: 'queue-check-refresh', text: `SELECT ${queueCheckRefreshSql('$1::text')}`, values: [storyId] });
}
