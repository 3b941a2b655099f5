// Usage, cost and budgets for operators (SPEC §11): GET /api/v1/admin/usage
// (tokens and cost by model, user, PBI, story or day), PATCH
// /api/v1/admin/products/{id} (budget_usd, max_active_jobs) and PATCH
// /api/v1/admin/pbis/{id} (budget_usd).
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import { usageGroupings } from '../db/sql/usage-report.ts';
import type { AppServices } from '../services/app-services.ts';
import { setPbiBudget, updateProductSettings } from '../services/budgets/budgets.ts';
import { getProduct } from '../services/products/products.ts';
import { usageReport } from '../services/usage/usage-report.ts';
import { id, idParams, userName } from './schema-kit.ts';

const dayMs = 24 * 3600 * 1000;
/** A day (YYYY-MM-DD, UTC) or an ISO-8601 instant; `to` as a day includes that whole day. */
const instant = (end: 'from' | 'to') =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })]).transform((value) => {
    if (value.length > 10) return new Date(value);
    const start = new Date(`${value}T00:00:00.000Z`);
    return end === 'to' ? new Date(start.getTime() + dayMs) : start;
  });

export const usageQuery = z.strictObject({
  product_id: id.optional(),
  pbi_id: id.optional(),
  user: userName.optional(),
  from: instant('from').optional().describe('a day (YYYY-MM-DD, UTC, from its start) or an ISO-8601 instant, inclusive'),
  to: instant('to').optional().describe('a day (YYYY-MM-DD, UTC: through its end) or an ISO-8601 instant, exclusive'),
  group_by: z.enum(usageGroupings).optional().describe('model (default), user, pbi, story or day (UTC)'),
});

/** Decimal places of a number as JSON wrote it (its shortest form, "1e-7" included). */
function decimalPlaces(n: number): number {
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!match) return Infinity;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/**
 * A budget in USD, up to 10^12 with at most 9 decimals (NUMERIC(40,9)). What
 * is stored is the number's shortest decimal form, as JSON wrote it, never
 * its binary expansion.
 */
export const budgetUsd = z
  .number()
  .nonnegative()
  .max(1_000_000_000_000)
  .refine((n) => decimalPlaces(n) <= 9, 'at most 9 decimals')
  .nullable()
  .describe('USD; null removes the budget');

export const pbiPatchBody = z.strictObject({ budget_usd: budgetUsd });

export const productPatchBody = z
  .strictObject({
    budget_usd: budgetUsd.optional(),
    // an INTEGER column; 0 stops handing out the product's jobs
    max_active_jobs: z.number().int().min(0).max(2_147_483_647).nullable().optional().describe('claimed + running jobs at most; null removes the limit'),
  })
  .refine((body) => body.budget_usd !== undefined || body.max_active_jobs !== undefined, 'give budget_usd, max_active_jobs or both');

export function adminUsageRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/admin/usage',
      access: 'admin',
      query: usageQuery,
      handle: async ({ query }) => ({ status: 200, body: await usageReport(services.pool, query) }),
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/admin/products/:id',
      access: 'admin',
      params: idParams,
      body: productPatchBody,
      handle: async ({ params, body, log }) => {
        await updateProductSettings(services.prisma, params.id, body);
        log.info({ productId: params.id, ...body }, 'product budget or limit set');
        return { status: 200, body: await getProduct(services.prisma, params.id) };
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/admin/pbis/:id',
      access: 'admin',
      params: idParams,
      body: pbiPatchBody,
      handle: async ({ params, body, log }) => {
        const pbi = await setPbiBudget(services.prisma, params.id, body.budget_usd);
        log.info({ pbiId: params.id, budget_usd: body.budget_usd }, 'PBI budget set');
        return { status: 200, body: pbi };
      },
    }),
  ];
}
