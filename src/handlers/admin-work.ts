// POST /api/v1/admin/ideas, POST /api/v1/admin/jobs, GET /api/v1/admin/pbis/{id},
// POST /api/v1/admin/pbis/{id}/reopen
import { z } from 'zod';
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { reopenPbi } from '../services/cascade/reopen.ts';
import { createIdea } from '../services/ideas/ideas.ts';
import { enqueueJobs } from '../services/jobs/enqueue.ts';
import { getPbiView } from '../services/pbis/pbi-view.ts';
import { caseInsensitiveEnum, id, idParams, int32, jobKinds, text, userName } from './schema-kit.ts';

export const createIdeaBody = z.strictObject({
  product_id: id,
  title: text().trim().min(1).max(300),
  body: text().max(50_000).optional(),
});

export const enqueueJobsBody = z.strictObject({
  user: userName,
  task_ids: z.array(id).min(1).max(1000).optional(),
  idea_id: id.optional(),
  kind: caseInsensitiveEnum(jobKinds).optional(),
  priority: int32.optional(),
});

export function adminWorkRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/admin/ideas',
      access: 'admin',
      body: createIdeaBody,
      handle: async ({ body }) => ({ status: 201, body: await createIdea(services.prisma, body) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/jobs',
      access: 'admin',
      body: enqueueJobsBody,
      handle: async ({ body }) => ({ status: 201, body: { jobs: await enqueueJobs(services.prisma, body) } }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/pbis/:id',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => ({ status: 200, body: await getPbiView(services.prisma, params.id) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/pbis/:id/reopen',
      access: 'admin',
      params: idParams,
      handle: async ({ params, log }) => {
        const result = await reopenPbi(services.prisma, params.id);
        log.info(result, 'PBI reopened');
        return { status: 200, body: result };
      },
    }),
  ];
}
