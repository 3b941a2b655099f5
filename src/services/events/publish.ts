// S10: every change is stored in change_events (the bounded backlog SSE
// clients resume from) and announced on the `scrum4me_changes` channel, in the
// caller's transaction so listeners hear of it only once it has committed.
import type { Prisma } from '../../generated/prisma/client.ts';

export const changesChannel = 'scrum4me_changes';
/** pg_notify payloads are limited to 8000 bytes; larger events are announced by seq only */
const notifyLimitBytes = 7500;

export interface JobStatusEvent {
  type: 'claude_job_status';
  job_id: string;
  task_id: string | null;
  user_id: string;
  product_id: string;
  status: string;
  branch: string | null;
  pushed_at: string | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
}

export type ChangeEvent = JobStatusEvent | ({ type: string; user_id?: string | null } & Record<string, unknown>);

type Tx = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

export async function publishChange(tx: Tx, event: ChangeEvent): Promise<bigint> {
  // One round trip: store the event and announce it. The announcement carries
  // the whole event, or only its seq when that would not fit in a NOTIFY.
  const payload = JSON.stringify(event);
  const rows = await tx.$queryRaw<{ seq: bigint }[]>`
    WITH stored AS (
      INSERT INTO change_events (type, user_id, payload)
      VALUES (${event.type}, ${event.user_id ?? null}, ${payload}::jsonb)
      RETURNING seq
    ), message AS (
      SELECT stored.seq,
             json_build_object('seq', stored.seq::text, 'event', ${payload}::json)::text AS whole,
             json_build_object('seq', stored.seq::text, 'user_id', ${event.user_id ?? null}::text)::text AS short
      FROM stored
    ), announced AS (
      SELECT pg_notify(${changesChannel}, CASE WHEN octet_length(whole) > ${notifyLimitBytes} THEN short ELSE whole END)
      FROM message
    )
    SELECT message.seq FROM message CROSS JOIN announced`;
  return rows[0]!.seq;
}

/**
 * The publishChange of hand-written statements: CTEs that store every row of
 * `source` (columns type, user_id, event json) as a change event and announce
 * it. Name `announced` in the statement's final SELECT so the NOTIFY runs.
 */
export function publishChangesSql(source: string): string {
  return `stored_events AS (
      INSERT INTO change_events (type, user_id, payload)
      SELECT type, user_id, event::jsonb FROM ${source}
      RETURNING seq, user_id, payload
    ), announced AS (
      SELECT pg_notify('${changesChannel}', CASE WHEN octet_length(whole) > ${notifyLimitBytes} THEN short ELSE whole END)
      FROM (SELECT json_build_object('seq', seq::text, 'event', payload)::text AS whole,
                   json_build_object('seq', seq::text, 'user_id', user_id)::text AS short
              FROM stored_events) AS message
    )`;
}
