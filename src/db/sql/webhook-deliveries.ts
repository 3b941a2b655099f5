// A webhook delivery's row (X-GitHub-Delivery), the one definition of "this
// delivery takes effect once". Why hand-written: the row is inserted in the
// same transaction, or the same statement, as the delivery's effect, and its
// unique id is the lock: a copy of the delivery racing on another replica waits
// for the first and then finds the row (ON CONFLICT DO NOTHING inserts nothing).
// deliveries.ts runs it before an effect; the pull_request statements
// (pull-request-delivery.ts) insert it in their own CTEs through insertDeliverySql.
import type { Statement } from './run-statement.ts';

/**
 * The INSERT of the delivery's row from SQL expressions (text) for its id, event
 * and action; `from`: the rest of the SELECT (FROM … WHERE …) when a statement
 * records it only on a condition. Returns the id when the row is new.
 */
export const insertDeliverySql = (id: string, event: string, action: string, from = '') => `
      INSERT INTO webhook_deliveries (id, event, action)
      SELECT ${id}::text, ${event}::text, ${action}::text ${from}
      ON CONFLICT (id) DO NOTHING
      RETURNING id`;

/** Whether the delivery (an SQL expression, text) was recorded already: a read before deciding. */
export const deliverySeenSql = (id: string) => `EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = ${id})`;

/** $1 delivery id, $2 event, $3 action. One row: the delivery is new and now recorded; none: seen already. */
export const recordDeliveryStatement: Statement = {
  name: 'record-webhook-delivery',
  text: insertDeliverySql('$1', '$2', '$3'),
};
