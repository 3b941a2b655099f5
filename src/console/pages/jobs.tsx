// Jobs (/console/jobs): filtered and paginated through the operator API's
// list service and query schema; one job (/console/jobs/{id}) with its trace.
import { listJobsQuery } from '../../handlers/admin-lists.ts';
import { parseInput } from '../../http/validation.ts';
import { listTokens } from '../../services/auth/list-tokens.ts';
import { listJobs } from '../../services/jobs/list-jobs.ts';
import { getOperatorJob } from '../../services/jobs/operator-job.ts';
import { listProducts } from '../../services/products/products.ts';
import { param, type ConsoleRoute } from '../context.ts';
import { showError } from '../errors.ts';
import { JobPage, JobsPage, type JobFilter } from '../views/jobs.tsx';
import { renderDocument } from '../views/layout.tsx';

const filterNames = ['status', 'user', 'product_id', 'kind', 'cursor', 'limit'] as const;

export const jobRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: '/console/jobs',
    handle: async (ctx) => {
      // an empty filter field means "any"
      const given = Object.fromEntries(filterNames.flatMap((name) => (ctx.query.get(name)?.trim() ? [[name, ctx.query.get(name)!.trim()]] : [])));
      const filter: JobFilter = { status: given.status, user: given.user, product_id: given.product_id, kind: given.kind, limit: given.limit };
      const [products, tokens] = await Promise.all([listProducts(ctx.services.prisma), listTokens(ctx.services.prisma)]);
      const users = [...new Set(tokens.map((t) => t.user))];
      try {
        const page = await listJobs(ctx.services.prisma, parseInput(listJobsQuery, given, 'query'));
        return {
          html: renderDocument(
            <JobsPage viewer={ctx.viewer} jobs={page.jobs} nextCursor={page.next_cursor} filter={filter} products={products} users={users} isFirstPage={!given.cursor} />,
          ),
        };
      } catch (error) {
        const shown = showError(error);
        if (shown.internal) throw error;
        return {
          status: shown.status,
          html: renderDocument(<JobsPage viewer={ctx.viewer} jobs={[]} nextCursor={null} filter={filter} products={products} users={users} isFirstPage flash={shown.flash} />),
        };
      }
    },
  },
  {
    method: 'GET',
    path: '/console/jobs/:id',
    handle: async (ctx) => ({ html: renderDocument(<JobPage viewer={ctx.viewer} job={await getOperatorJob(ctx.services.prisma, param(ctx, 'id'))} />) }),
  },
];
