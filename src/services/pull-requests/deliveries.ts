// Webhook de-duplication: a delivery (X-GitHub-Delivery) takes effect once.
// Its row is inserted in the same transaction as its effect, so a redelivery,
// or the same delivery racing on another replica, finds the row and does
// nothing; a delivery whose effect failed left no row and can be redelivered.
// One check (recordDeliveryStatement, src/db/sql/webhook-deliveries.ts) on
// either client: a pg transaction for effects in plain SQL (onceForDeliverySql),
// a Prisma one for the rest (onceForDelivery).
import type pg from 'pg';
import type { PrismaClient } from '../../db/client.ts';
import type { Queryable } from '../../db/queryable.ts';
import { runStatement, type SqlClient } from '../../db/sql/run-statement.ts';
import { recordDeliveryStatement } from '../../db/sql/webhook-deliveries.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { Prisma } from '../../generated/prisma/client.ts';

export interface Delivery {
  /** X-GitHub-Delivery */
  id: string;
  event: string;
  action?: string | undefined;
}

export type Tx = Prisma.TransactionClient;

export type DeliveryResult<T> = { duplicate: true } | { duplicate: false; result: T };

/** In the caller's transaction: the effect, unless the delivery was recorded already. */
async function once<S extends SqlClient, T>(sql: S, delivery: Delivery, effect: (sql: S) => Promise<T>): Promise<DeliveryResult<T>> {
  // A concurrent insert of the same id waits here for the first transaction,
  // then sees the conflict: the unique row is the lock.
  const recorded = await runStatement(sql, recordDeliveryStatement, [delivery.id, delivery.event, delivery.action ?? null]);
  if (recorded.length === 0) return { duplicate: true };
  return { duplicate: false, result: await effect(sql) };
}

/** Well inside GitHub's 10 s for the delivery's answer, roomy for a busy pool. */
const transactionLimits = { maxWait: 4000, timeout: 8000 };

/** The delivery's effect on a Prisma transaction, once. */
export async function onceForDelivery<T>(prisma: PrismaClient, delivery: Delivery, effect: (tx: Tx) => Promise<T>): Promise<DeliveryResult<T>> {
  return prisma.$transaction((tx) => once(tx, delivery, effect), transactionLimits);
}

/** The delivery's effect on a pg transaction, once: for deliveries whose effect is plain SQL (pull_request, repository). */
export async function onceForDeliverySql<T>(pool: pg.Pool, delivery: Delivery, effect: (sql: Queryable) => Promise<T>): Promise<DeliveryResult<T>> {
  return withTransaction(pool, (sql) => once(sql, delivery, effect));
}
