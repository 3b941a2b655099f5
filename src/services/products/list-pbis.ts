// GET /api/v1/admin/products/{id}/pbis: a product's PBIs with their progress
// (tasks done / total), jobs by status and the state of their newest cascade.
import type { PrismaClient } from '../../db/client.ts';
import type { Queryable } from '../../db/queryable.ts';
import { pbiProgress } from '../../db/sql/pbi-progress.ts';
import { notFound } from '../errors.ts';
import { countJobs, type JobCounts } from '../jobs/job-counts.ts';
import { presentUsageTotals, usageTotalsSelect, type UsageTotals } from '../jobs/job-usage.ts';
import { iso, lower } from '../present.ts';

export interface PbiListItem {
  id: string;
  code: string | null;
  title: string;
  stories: number;
  tasks_total: number;
  tasks_done: number;
  jobs: JobCounts;
  /** the newest cascade; `open` until the PBI is reopened (new work is refused while open) */
  cascade: { id: string; status: 'running' | 'done'; open: boolean; created_at: string } | null;
  /** its jobs' tokens and cost (SPEC §11) */
  usage: UsageTotals;
}

export async function listProductPbis(db: { prisma: PrismaClient; pool: Queryable }, productId: string): Promise<{ product_id: string; pbis: PbiListItem[] }> {
  const product = await db.prisma.product.findUnique({ where: { id: productId }, select: { id: true } });
  if (!product) throw notFound('product', productId);
  const [progress, jobs, cascades, totals] = await Promise.all([
    pbiProgress(db.pool, productId),
    db.prisma.job.groupBy({ by: ['pbi_id', 'status'], where: { product_id: productId, pbi_id: { not: null } }, _count: { _all: true } }),
    db.prisma.cascade.findMany({
      where: { pbi: { product_id: productId } },
      orderBy: [{ created_at: 'desc' }, { id: 'desc' }],
      distinct: ['pbi_id'],
      select: { id: true, pbi_id: true, status: true, open_pbi_id: true, created_at: true },
    }),
    db.prisma.pbi.findMany({ where: { product_id: productId }, select: { id: true, ...usageTotalsSelect } }),
  ]);
  const cascadeOf = new Map(cascades.map((c) => [c.pbi_id, c]));
  const usageOf = new Map(totals.map((t) => [t.id, presentUsageTotals(t)]));
  return {
    product_id: productId,
    pbis: progress.map((row) => {
      const cascade = cascadeOf.get(row.id);
      return {
        ...row,
        jobs: countJobs(jobs.filter((j) => j.pbi_id === row.id)),
        cascade: cascade
          ? { id: cascade.id, status: lower(cascade.status), open: cascade.open_pbi_id !== null, created_at: iso(cascade.created_at)! }
          : null,
        usage: usageOf.get(row.id)!,
      };
    }),
  };
}
