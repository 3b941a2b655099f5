// S10: publish one change from TypeScript — stored in change_events and
// announced on `scrum4me_changes` in the caller's transaction. The one
// definition of both (and the CTEs hand-written statements fold in) is
// src/db/sql/change-events.ts.
import { changesChannel, publishChangeListStatement, publishChangeStatement, publishChangesSql } from '../../db/sql/change-events.ts';
import type { JobStatusEvent } from '../../db/sql/job-status-event.ts';
import { runStatement, type SqlClient } from '../../db/sql/run-statement.ts';

export { changesChannel, publishChangesSql, type JobStatusEvent };

export type ChangeEvent = JobStatusEvent | ({ type: string; user_id?: string | null } & Record<string, unknown>);

/** One round trip: store the event and announce it; answers its seq. */
export async function publishChange(db: SqlClient, event: ChangeEvent): Promise<bigint> {
  const [row] = await runStatement<{ seq: bigint | string }>(db, publishChangeStatement, [event.type, event.user_id ?? null, JSON.stringify(event)]);
  return BigInt(row!.seq);
}

/** Many events in one round trip, stored and announced in the given order. */
export async function publishChanges(db: SqlClient, events: ChangeEvent[]): Promise<void> {
  if (events.length === 0) return;
  await runStatement(db, publishChangeListStatement, [JSON.stringify(events.map((event) => ({ ...event, user_id: event.user_id ?? null })))]);
}
