// Webhook de-duplication: a delivery (X-GitHub-Delivery) takes effect once.
// Its row is inserted in the same transaction as its effect, so a redelivery,
// or the same delivery racing on another replica, finds the row and does
// nothing; a delivery whose effect failed left no row and can be redelivered.
import type { PrismaClient } from '../../db/client.ts';
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
