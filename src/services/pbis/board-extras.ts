// What the console's PBI board shows beyond the PBI view (pbi-view.ts): each
// job's usage and each story's check run. Two reads keyed by the PBI, so the
// board costs the view plus two queries however many stories it has.
import type { PrismaClient } from '../../db/client.ts';
import { jobUsageSelect, presentUsage, type JobUsage } from '../jobs/job-usage.ts';

export interface StoryCheck {
  head_sha: string;
  status: string;
  conclusion: string | null;
}

export interface PbiBoardExtras {
  usage: Map<string, JobUsage>;
  /** every check run of each story, newest first; the board picks the one on its PR's head */
  checks: Map<string, StoryCheck[]>;
}

export async function getPbiBoardExtras(prisma: PrismaClient, pbiId: string): Promise<PbiBoardExtras> {
  const [jobs, checkRuns] = await Promise.all([
    prisma.job.findMany({ where: { pbi_id: pbiId }, select: { id: true, ...jobUsageSelect } }),
    prisma.checkRun.findMany({
      where: { story: { pbi_id: pbiId } },
      orderBy: [{ updated_at: 'desc' }, { id: 'desc' }],
      select: { story_id: true, head_sha: true, status: true, conclusion: true },
    }),
  ]);
  const checks = new Map<string, StoryCheck[]>();
  for (const run of checkRuns) {
    const list = checks.get(run.story_id) ?? [];
    list.push({ head_sha: run.head_sha, status: run.status, conclusion: run.conclusion });
    checks.set(run.story_id, list);
  }
  return { usage: new Map(jobs.map((job) => [job.id, presentUsage(job)])), checks };
}
