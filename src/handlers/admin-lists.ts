// The operator API's lists (what the console and the CLI show):
// GET /api/v1/admin/products/{id}/pbis, GET /api/v1/admin/jobs,
// GET /api/v1/admin/jobs/{id}, GET /api/v1/admin/tokens
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { listTokens } from '../services/auth/list-tokens.ts';
import { listJobs } from '../services/jobs/list-jobs.ts';
import { getOperatorJob } from '../services/jobs/operator-job.ts';
import { listProductPbis } from '../services/products/list-pbis.ts';
import { caseInsensitiveEnum, id, idParams, jobKinds, userName } from './schema-kit.ts';

export const jobStatuses = ['QUEUED', 'CLAIMED', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED'] as const;

export const listJobsQuery = z.strictObject({
  status: caseInsensitiveEnum(jobStatuses).optional(),
  user: userName.optional(),
  product_id: id.optional(),
  kind: caseInsensitiveEnum(jobKinds).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,300}$/, 'not a cursor this API gave')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export function adminListRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/admin/products/:id/pbis',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => ({ status: 200, body: await listProductPbis(services, params.id) }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/jobs',
      access: 'admin',
      query: listJobsQuery,
      handle: async ({ query }) => ({ status: 200, body: await listJobs(services.prisma, query) }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/jobs/:id',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => ({ status: 200, body: await getOperatorJob(services.prisma, params.id) }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/tokens',
      access: 'admin',
      handle: async () => ({ status: 200, body: { tokens: await listTokens(services.prisma) } }),
    }),
  ];
}
