// GET /api/v1/admin/usage: tokens and cost by model, user, PBI, story or day (SPEC §11).
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import { usageGroupings } from '../db/sql/usage-report.ts';
import type { AppServices } from '../services/app-services.ts';
import { usageReport } from '../services/usage/usage-report.ts';
import { id, userName } from './schema-kit.ts';

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

export function adminUsageRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/admin/usage',
      access: 'admin',
      query: usageQuery,
      handle: async ({ query }) => ({ status: 200, body: await usageReport(services.pool, query) }),
    }),
  ];
}
