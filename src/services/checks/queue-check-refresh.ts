// Queues the refresh of a story's check run, serially per story, de-duplicated.
import type { SqlClient } from '../../db/transaction.ts';
import { enqueueBackground } from '../background/enqueue.ts';

export const storyQueue = (storyId: string) => `story:${storyId}`;

/** `resend`: send the check run even when GitHub already shows this state (a person asked for a re-run). */
export async function queueCheckRefresh(tx: Parameters<typeof enqueueBackground>[0], storyId: string, options: { resend?: boolean } = {}): Promise<void> {
  if (options.resend) {
    await enqueueBackground(tx, 'refresh_story_check', { story_id: storyId, resend: 'true' }, { queueName: storyQueue(storyId), jobKey: `check-resend:${storyId}` });
    return;
  }
  await enqueueBackground(tx, 'refresh_story_check', { story_id: storyId }, { queueName: storyQueue(storyId), jobKey: `check:${storyId}` });
}

/** queueCheckRefresh in SQL, for statements that change a story's jobs themselves (`storyId`: an SQL expression). */
export const queueCheckRefreshSql = (storyId: string) =>
  `graphile_worker.add_job('refresh_story_check', json_build_object('story_id', ${storyId}),
     queue_name => 'story:' || ${storyId}, max_attempts => 25, job_key => 'check:' || ${storyId})`;

/** queueCheckRefresh inside a pg transaction (the webhook path). */
export async function queueCheckRefreshIn(sql: SqlClient, storyId: string): Promise<void> {
  await sql.query({ name: 'queue-check-refresh', text: `SELECT ${queueCheckRefreshSql('$1::text')}`, values: [storyId] });
}
