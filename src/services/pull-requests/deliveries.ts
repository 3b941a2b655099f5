// Webhook de-duplication: a delivery (X-GitHub-Delivery) takes effect once.
// Its row is inserted in the same transaction as its effect, so a redelivery,
// or the same delivery racing on another replica, finds the row and does
// nothing; a delivery whose effect failed left no row and can be redelivered.
import type pg from 'pg';
import type { PrismaClient } from '../../db/client.ts';
import type { Queryable } from '../../db/queryable.ts';
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

export async function onceForDelivery<T>(prisma: PrismaClient, delivery: Delivery, effect: (tx: Tx) => Promise<T>): Promise<DeliveryResult<T>> {
  return prisma.$transaction(async (tx) => {
    // A concurrent insert of the same id waits here for the first transaction,
    // then sees the conflict: the unique row is the lock.
    const inserted = await tx.$executeRaw`
      INSERT INTO webhook_deliveries (id, event, action)
      VALUES (${delivery.id}, ${delivery.event}, ${delivery.action ?? null})
      ON CONFLICT (id) DO NOTHING`;
    if (inserted === 0) return { duplicate: true } as const;
    return { duplicate: false, result: await effect(tx) } as const;
  }, transactionLimits);
}

/** Well inside GitHub's 10 s for the delivery's answer, roomy for a busy pool. */
const transactionLimits = { maxWait: 4000, timeout: 8000 };

/** onceForDelivery on a pg transaction, for deliveries whose effect is plain SQL (pull_request). */
export async function onceForDeliverySql<T>(pool: pg.Pool, delivery: Delivery, effect: (sql: Queryable) => Promise<T>): Promise<DeliveryResult<T>> {
  return withTransaction(pool, async (sql) => {
    const inserted = await sql.query({
      name: 'record-webhook-delivery',
      text: 'INSERT INTO webhook_deliveries (id, event, action) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      values: [delivery.id, delivery.event, delivery.action ?? null],
    });
    if (inserted.rowCount === 0) return { duplicate: true } as const;
    return { duplicate: false, result: await effect(sql) } as const;
  });
}
