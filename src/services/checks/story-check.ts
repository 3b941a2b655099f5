// Creates or updates the story's "Scrum4Me" check run on its PR head commit:
// one per head sha. Runs serially per story in the background.
//   first refresh on a sha: GET commits/{sha}/check-runs (is ours there already,
//     its creation's answer lost?), then PATCH that run or POST a new one
//   later refreshes: PATCH /repos/{o}/{r}/check-runs/{id}, only when the state changed
import { createHash } from 'node:crypto';
import type { JobStatus, VerifyResult } from '../../generated/prisma/client.ts';
import { latestJobPerTask } from '../../db/sql/latest-job-per-task.ts';
import type { AppServices } from '../app-services.ts';
import { presentUsage, presentUsageTotals } from '../jobs/job-usage.ts';
import { splitRepo } from '../github/branches.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { decideCheckState, renderCheckOutput, type TaskRow } from './check-state.ts';
import { checkRunExternalId } from '../github/check-runs.ts';

export { checkRunName } from '../github/check-runs.ts';

export async function refreshStoryCheck(services: Pick<AppServices, 'prisma' | 'github'>, storyId: string, options: { resend?: boolean } = {}): Promise<'created' | 'updated' | 'unchanged' | 'skipped'> {
  const { prisma } = services;
  const story = await prisma.story.findUnique({ where: { id: storyId }, include: { product: { include: { installation: true } } } });
  if (!story || story.product.installation_id === null || githubAccessProblem(story.product)) return 'skipped';
  const pr = await prisma.pullRequest.findFirst({ where: { story_id: storyId }, orderBy: { created_at: 'desc' } });
  if (!pr) return 'skipped';
  const cascaded = (await prisma.cascade.count({ where: { pbi_id: story.pbi_id, open_pbi_id: story.pbi_id } })) > 0;
  const rows: TaskRow[] = (await latestJobPerTask(prisma, storyId)).map((task) => ({
    title: task.title,
    status: task.status as JobStatus | null,
    verifyResult: task.verify_result as VerifyResult | null,
    summary: task.summary,
    usage: task.job_id === null ? null : presentUsage(task),
  }));
  const state = decideCheckState(rows, cascaded);
  const output = renderCheckOutput(story.title, rows, state, presentUsageTotals(story));
  const fields = {
    status: state.status,
    ...(state.conclusion ? { conclusion: state.conclusion } : {}),
    output,
  };
  // the same story state is often refreshed twice (a PR webhook and the cascade's end, say)
  const digest = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  const existing = await prisma.checkRun.findUnique({ where: { story_id_head_sha: { story_id: storyId, head_sha: pr.head_sha } } });
  if (existing?.sent_digest === digest && !options.resend) return 'unchanged';
  const github = await services.github.installation(story.product.installation_id);
  const repo = splitRepo(story.product.repo);
  const sent = { ...fields, ...(state.conclusion ? { completed_at: new Date().toISOString() } : {}) };
  const saved = { status: state.status, conclusion: state.conclusion, sent_digest: digest };
  // No record: a run may still be on GitHub (created, then the answer or the process was lost): the port looks first.
  const run = await github.upsertCheckRun(repo, { headSha: pr.head_sha, externalId: checkRunExternalId(storyId, pr.head_sha), knownId: existing ? Number(existing.github_id) : null }, sent);
  if (existing) {
    await prisma.checkRun.update({ where: { id: existing.id }, data: saved });
    return 'updated';
  }
  await prisma.checkRun.upsert({
    where: { story_id_head_sha: { story_id: storyId, head_sha: pr.head_sha } },
    create: { story_id: storyId, pull_request_id: pr.id, head_sha: pr.head_sha, github_id: BigInt(run.id), ...saved },
    update: { github_id: BigInt(run.id), ...saved },
  });
  return run.created ? 'created' : 'updated';
}
