// Queues the refresh of a story's check run, serially per story, de-duplicated.
import { enqueueBackground } from '../background/enqueue.ts';

export const storyQueue = (storyId: string) => `story:${storyId}`;

export async function queueCheckRefresh(tx: Parameters<typeof enqueueBackground>[0], storyId: string): Promise<void> {
  await enqueueBackground(tx, 'refresh_story_check', { story_id: storyId }, { queueName: storyQueue(storyId), jobKey: `check:${storyId}` });
}
