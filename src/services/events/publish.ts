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
  const rows = await tx.$queryRaw<{ seq: bigint }[]>`
    INSERT INTO change_events (type, user_id, payload)
    VALUES (${event.type}, ${event.user_id ?? null}, ${JSON.stringify(event)}::jsonb)
    RETURNING seq`;
  const seq = rows[0]!.seq;
  let message = JSON.stringify({ seq: String(seq), event });
  if (Buffer.byteLength(message) > notifyLimitBytes) {
    message = JSON.stringify({ seq: String(seq), user_id: event.user_id ?? null });
  }
  await tx.$executeRaw`SELECT pg_notify(${changesChannel}, ${message})`;
  return seq;
}
