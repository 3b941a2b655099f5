// Budgets and per-product concurrency (SPEC §11): PATCH a PBI's budget or a
// product's budget and max_active_jobs. The claim enforces them
// (src/db/sql/claim-job.ts); the status statements keep the spending
// (src/db/sql/job-usage.ts).
import type { PrismaClient } from '../../db/client.ts';
import { lockJobsForActiveCountSql, setActiveLimitStatement, setBudgetStatement } from '../../db/sql/budgets.ts';
import { runStatement } from '../../db/sql/run-statement.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { isLockTimeout } from '../../db/unreachable.ts';
import { databaseBusy, notFound } from '../errors.ts';
import { publishChangesSql } from '../events/publish.ts';
import { money } from '../jobs/job-usage.ts';

export interface BudgetView {
  budget_usd: string;
  spent_usd: string;
  /** the spending reached the budget: claims skip the queued jobs */
  exceeded: boolean;
}

export function presentBudget(budget: Prisma.Decimal | null, spent: Prisma.Decimal): BudgetView | null {
  if (budget === null) return null;
  return { budget_usd: money(budget), spent_usd: money(spent), exceeded: spent.gte(budget) };
}

/** A budget from the API (a JSON number, at most 9 decimals: checked by the handler) as exact NUMERIC text. */
const numericText = (budget: number | null) => (budget === null ? null : String(budget));

type Tx = Prisma.TransactionClient;

async function setBudget(tx: Tx, scope: 'pbi' | 'product', id: string, budget: number | null): Promise<void> {
  const rows = await runStatement(tx, setBudgetStatement(scope, publishChangesSql('events')), [id, numericText(budget)]);
  if (rows.length === 0) throw notFound(scope === 'pbi' ? 'PBI' : 'product', id);
}

export async function setPbiBudget(prisma: PrismaClient, pbiId: string, budget: number | null) {
  await prisma.$transaction((tx) => setBudget(tx, 'pbi', pbiId, budget));
  const pbi = await prisma.pbi.findUniqueOrThrow({ where: { id: pbiId }, select: { id: true, product_id: true, budget_usd: true, usage_cost_usd: true } });
  return { id: pbi.id, product_id: pbi.product_id, budget: presentBudget(pbi.budget_usd, pbi.usage_cost_usd) };
}

/** How long setting a limit waits for the jobs table's writers to finish before it gives up (503, try again). */
const limitLockTimeout = '5s';

export interface ProductSettings {
  budget_usd?: number | null | undefined;
  max_active_jobs?: number | null | undefined;
}

export async function updateProductSettings(prisma: PrismaClient, productId: string, settings: ProductSettings): Promise<void> {
  try {
    await prisma.$transaction(async (tx) => {
      if (settings.max_active_jobs !== undefined) {
        // the table first, then the product row (src/db/sql/budgets.ts)
        await tx.$queryRawUnsafe(lockJobsForActiveCountSql.lockTimeout, limitLockTimeout);
        await tx.$executeRawUnsafe(lockJobsForActiveCountSql.lockJobs);
        const rows = await runStatement(tx, setActiveLimitStatement, [productId, settings.max_active_jobs]);
        if (rows.length === 0) throw notFound('product', productId);
      }
      if (settings.budget_usd !== undefined) await setBudget(tx, 'product', productId, settings.budget_usd);
    });
  } catch (error) {
    if (isLockTimeout(error)) throw databaseBusy('the jobs are busy changing; setting max_active_jobs waited 5 s for them: try again', 1);
    throw error;
  }
}
