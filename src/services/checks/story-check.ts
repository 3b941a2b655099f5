// Creates or updates the story's "Scrum4Me" check run on its PR head commit:
// one per head sha (POST /repos/{o}/{r}/check-runs once, then PATCH
// /repos/{o}/{r}/check-runs/{id}). Runs serially per story in the background.
import { createHash } from 'node:crypto';
import type { AppServices } from '../app-services.ts';
import { splitRepo } from '../github/branches.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { decideCheckState, renderCheckOutput, type TaskRow } from './check-state.ts';

export const checkRunName = 'Scrum4Me';

export async function refreshStoryCheck(services: Pick<AppServices, 'prisma' | 'github'>, storyId: string, options: { resend?: boolean } = {}): Promise<'created' | 'updated' | 'unchanged' | 'skipped'> {
  const { prisma } = services;
  const story = await prisma.story.findUnique({
    where: { id: storyId },
    include: {
      product: { include: { installation: true } },
      tasks: { orderBy: { position: 'asc' }, include: { jobs: { orderBy: { created_at: 'desc' }, take: 1 } } },
      pull_requests: { orderBy: { created_at: 'desc' }, take: 1 },
    },
  });
  const pr = story?.pull_requests[0];
  if (!story || !pr || story.product.installation_id === null || githubAccessProblem(story.product)) return 'skipped';
  const cascaded = (await prisma.cascade.count({ where: { pbi_id: story.pbi_id, open_pbi_id: story.pbi_id } })) > 0;
  const rows: TaskRow[] = story.tasks.map((task) => {
    const job = task.jobs[0];
    return { title: task.title, status: job?.status ?? null, verifyResult: job?.verify_result ?? null, summary: job?.summary ?? null };
  });
  const state = decideCheckState(rows, cascaded);
  const output = renderCheckOutput(story.title, rows, state);
  const fields = {
    status: state.status,
    ...(state.conclusion ? { conclusion: state.conclusion } : {}),
    output,
  };
  // the same story state is often refreshed twice (a PR webhook and the cascade's end, say)
  const digest = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  const existing = await prisma.checkRun.findUnique({ where: { story_id_head_sha: { story_id: storyId, head_sha: pr.head_sha } } });
  if (existing?.sent_digest === digest && !options.resend) return 'unchanged';
  const octokit = await services.github.installation(story.product.installation_id);
  const repo = splitRepo(story.product.repo);
  const completedAt = state.conclusion ? { completed_at: new Date().toISOString() } : {};
  if (existing) {
    await octokit.rest.checks.update({ ...repo, check_run_id: Number(existing.github_id), ...fields, ...completedAt });
    await prisma.checkRun.update({ where: { id: existing.id }, data: { status: state.status, conclusion: state.conclusion, sent_digest: digest } });
    return 'updated';
  }
  const { data } = await octokit.rest.checks.create({ ...repo, name: checkRunName, head_sha: pr.head_sha, ...fields, ...completedAt });
  await prisma.checkRun.create({
    data: {
      story_id: storyId,
      pull_request_id: pr.id,
      head_sha: pr.head_sha,
      github_id: BigInt(data.id),
      status: state.status,
      conclusion: state.conclusion,
      sent_digest: digest,
    },
  });
  return 'created';
}
