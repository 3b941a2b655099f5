// S10's store and announcement: every change goes into change_events (the
// bounded backlog SSE clients resume from) and out on the `scrum4me_changes`
// channel, in the writer's transaction or statement, so listeners hear of it
// only once it has committed. Why hand-written: the claim, both status paths,
// the cascade, usage and budgets fold it into their own statements (one round
// trip, one short commit lock for the NOTIFY); publishChange
// (src/services/events/publish.ts) runs the same CTEs alone for one event.
import type { Statement } from './run-statement.ts';

export const changesChannel = 'scrum4me_changes';
/** pg_notify payloads are limited to 8000 bytes; larger events are announced by seq only */
const notifyLimitBytes = 7500;

/**
 * CTEs that store every row of `source` (columns type, user_id, event json)
 * as a change event and announce it: the whole event, or only its seq when that
 * would not fit in a NOTIFY. Name `announced` in the statement's final SELECT
 * so the NOTIFY runs.
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

/** One event: $1 type, $2 user id (or null), $3 the event as JSON text. One row: its seq. */
export const publishChangeStatement: Statement = {
  name: 'publish-change',
  text: `
  WITH events AS (
    SELECT $1::text AS type, $2::text AS user_id, $3::text::json AS event
  ), ${publishChangesSql('events')}
  SELECT stored_events.seq, (SELECT count(*) FROM announced) AS announced FROM stored_events`,
};

/**
 * Many events in one round trip: $1 a JSON array of events (each with its type
 * and user_id), stored in the array's order (their seqs follow it). One row per
 * event: its seq.
 */
export const publishChangeListStatement: Statement = {
  name: 'publish-change-list',
  text: `
  WITH events AS (
    SELECT e->>'type' AS type, e->>'user_id' AS user_id, e AS event
      FROM json_array_elements($1::text::json) WITH ORDINALITY AS list(e, position)
     ORDER BY position
  ), ${publishChangesSql('events')}
  SELECT stored_events.seq, (SELECT count(*) FROM announced) AS announced FROM stored_events`,
};
