// What the console's PBI board shows beyond the PBI view (pbi-view.ts): its
// product, each job's usage and each story's check run. Three reads keyed by
// the PBI, run alongside the view, however many stories it has.
import type { PrismaClient } from '../../db/client.ts';
import { notFound } from '../errors.ts';
import { jobUsageSelect, presentUsage, presentUsageTotals, usageTotalsSelect, type JobUsage, type UsageTotals } from '../jobs/job-usage.ts';
import { presentProduct, type ProductView } from '../products/products.ts';

export interface StoryCheck {
  head_sha: string;
  status: string;
  conclusion: string | null;
}

export interface PbiBoardExtras {
  product: ProductView;
  /** the PBI's jobs' tokens and cost */
  usage: UsageTotals;
  jobUsage: Map<string, JobUsage>;
  /** every check run of each story, newest first; the board picks the one on its PR's head */
  checks: Map<string, StoryCheck[]>;
}

export async function getPbiBoardExtras(prisma: PrismaClient, pbiId: string): Promise<PbiBoardExtras> {
  const [pbi, jobs, checkRuns] = await Promise.all([
    prisma.pbi.findUnique({ where: { id: pbiId }, select: { product: true, ...usageTotalsSelect } }),
    prisma.job.findMany({ where: { pbi_id: pbiId }, select: { id: true, ...jobUsageSelect } }),
    prisma.checkRun.findMany({
      where: { story: { pbi_id: pbiId } },
      orderBy: [{ updated_at: 'desc' }, { id: 'desc' }],
      select: { story_id: true, head_sha: true, status: true, conclusion: true },
    }),
  ]);
  if (!pbi) throw notFound('PBI', pbiId);
  const checks = new Map<string, StoryCheck[]>();
  for (const run of checkRuns) {
    const list = checks.get(run.story_id) ?? [];
    list.push({ head_sha: run.head_sha, status: run.status, conclusion: run.conclusion });
    checks.set(run.story_id, list);
  }
  return { product: presentProduct(pbi.product), usage: presentUsageTotals(pbi), jobUsage: new Map(jobs.map((job) => [job.id, presentUsage(job)])), checks };
}
