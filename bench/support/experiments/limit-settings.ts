// The four settings the claim-limits experiments compare (claim-limits.ts,
// claim-limits-cost.ts), applied the same way by both: a budget and a limit so
// high they are never reached, on the world's product and PBI, and their ABBA order.
import type { PrismaClient } from '../../../src/db/client.ts';
import { setPbiBudget, updateProductSettings } from '../../../src/services/budgets/budgets.ts';

export type Setting = 'open' | 'limits' | 'budgets' | 'both';

/** odd rounds reversed, so no setting always runs first or last */
export const settingOrder: Setting[][] = [
  ['open', 'both', 'limits', 'budgets'],
  ['budgets', 'limits', 'both', 'open'],
];

export async function applySetting(prisma: PrismaClient, world: { productId: string; pbiId: string }, setting: Setting): Promise<void> {
  const limit = setting === 'limits' || setting === 'both' ? 1_000_000_000 : null;
  const budget = setting === 'budgets' || setting === 'both' ? 1_000_000_000 : null;
  await updateProductSettings(prisma, world.productId, { max_active_jobs: limit, budget_usd: budget });
  await setPbiBudget(prisma, world.pbiId, budget);
}
