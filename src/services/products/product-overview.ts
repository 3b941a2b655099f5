// The products as the console's first page shows them: each with its
// installation's state, its jobs by status and its open fail-cascades.
import type { PrismaClient } from '../../db/client.ts';
import { countJobs, type JobCounts } from '../jobs/job-counts.ts';
import { presentProduct, type ProductView } from './products.ts';

/** installed; suspended or uninstalled on GitHub; the repository removed from the installation; none bound */
export type InstallationState = 'installed' | 'suspended' | 'uninstalled' | 'repository_removed' | 'none';

export interface ProductOverview extends ProductView {
  installation_state: InstallationState;
  jobs: JobCounts;
  open_cascades: number;
}

export async function listProductOverviews(prisma: PrismaClient): Promise<ProductOverview[]> {
  const [products, jobs, cascades] = await Promise.all([
    prisma.product.findMany({ orderBy: { created_at: 'asc' }, include: { installation: { select: { suspended_at: true, deleted_at: true } } } }),
    prisma.job.groupBy({ by: ['product_id', 'status'], _count: { _all: true } }),
    prisma.cascade.findMany({ where: { open_pbi_id: { not: null } }, select: { pbi: { select: { product_id: true } } } }),
  ]);
  return products.map((product) => ({
    ...presentProduct(product),
    installation_state: !product.installation
      ? 'none'
      : product.installation.deleted_at
        ? 'uninstalled'
        : product.installation.suspended_at
          ? 'suspended'
          : product.repo_removed_at
            ? 'repository_removed'
            : 'installed',
    jobs: countJobs(jobs.filter((j) => j.product_id === product.id)),
    open_cascades: cascades.filter((c) => c.pbi.product_id === product.id).length,
  }));
}
