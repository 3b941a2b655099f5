// S7: one pull request per story. The first done task with pushed work opens
// it; later tasks reuse it and their summaries are added to its body. A PR
// that already exists on GitHub for the branch (422) is adopted.
//   open:   POST /repos/{o}/{r}/pulls                       (1 call)
//   adopt:  + GET /repos/{o}/{r}/pulls?head=o:branch&state=open (on 422)
//   reuse:  PATCH /repos/{o}/{r}/pulls/{n} (body), only when it changed
import type { AppServices } from '../app-services.ts';
import { statusOf, type Octokit } from '../github/access.ts';
import { splitRepo } from '../github/branches.ts';
import { addTrace } from '../jobs/trace.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { storyPrBody, storyPrTitle } from './story-pr-body.ts';

type GitHubPull = Awaited<ReturnType<Octokit['rest']['pulls']['get']>>['data'];

export type StoryPrOutcome = { kind: 'opened' | 'adopted' | 'reused'; url: string; number: number } | { kind: 'skipped'; reason: string };

export async function ensureStoryPullRequest(services: Pick<AppServices, 'prisma' | 'github' | 'log'>, jobId: string): Promise<StoryPrOutcome> {
  const { prisma } = services;
  const job = await prisma.job.findUniqueOrThrow({
    where: { id: jobId },
    include: { story: true, product: { include: { installation: true } } },
  });
  if (!job.story || !job.pushed_at) return { kind: 'skipped', reason: 'no pushed work' };
  if (!job.product.auto_pr) return { kind: 'skipped', reason: 'auto_pr is off for the product' };
  const accessProblem = githubAccessProblem(job.product);
  if (accessProblem || job.product.installation_id === null) return { kind: 'skipped', reason: accessProblem ?? 'no installation' };
  const story = job.story;
  // a fail-cascade is undoing this PBI: opening a PR now would undo its work
  if (await prisma.cascade.count({ where: { open_pbi_id: story.pbi_id } })) return { kind: 'skipped', reason: 'the PBI has an open fail-cascade' };
  const repo = splitRepo(job.product.repo);
  const done = await prisma.job.findMany({
    where: { story_id: story.id, status: 'DONE' },
    orderBy: { finished_at: 'asc' },
    include: { task: { select: { title: true } } },
  });
  const body = storyPrBody(story.id, done.map((j) => ({ taskTitle: j.task?.title ?? 'Task', summary: j.summary })));
  const octokit = await services.github.installation(job.product.installation_id);

  const existing = await prisma.pullRequest.findFirst({
    where: { product_id: job.product_id, head_ref: story.branch, state: 'OPEN' },
    orderBy: { number: 'desc' },
  });
  let outcome: Exclude<StoryPrOutcome, { kind: 'skipped' }>;
  let pull: GitHubPull | undefined;
  if (existing) {
    if (existing.body !== body) {
      pull = (await octokit.rest.pulls.update({ ...repo, pull_number: existing.number, body })).data;
    }
    outcome = { kind: 'reused', url: existing.html_url, number: existing.number };
  } else {
    try {
      pull = (await octokit.rest.pulls.create({ ...repo, title: storyPrTitle(story), head: story.branch, base: job.product.base_branch, body })).data as GitHubPull;
      outcome = { kind: 'opened', url: pull.html_url, number: pull.number };
    } catch (error) {
      if (statusOf(error) !== 422) throw error;
      // "A pull request already exists for owner:branch": adopt it
      const { data: open } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${story.branch}`, state: 'open', per_page: 1 });
      const found = open[0];
      if (!found) throw error;
      pull = (await octokit.rest.pulls.update({ ...repo, pull_number: found.number, body })).data;
      outcome = { kind: 'adopted', url: found.html_url, number: found.number };
    }
  }

  await prisma.$transaction(async (tx) => {
    if (pull) {
      const record = {
        title: pull.title,
        body: pull.body,
        html_url: pull.html_url,
        head_ref: pull.head.ref,
        head_sha: pull.head.sha,
        head_repo: pull.head.repo?.full_name ?? null,
        base_ref: pull.base.ref,
        github_id: BigInt(pull.id),
        github_updated_at: new Date(pull.updated_at),
      };
      await tx.pullRequest.upsert({
        where: { product_id_number: { product_id: job.product_id, number: pull.number } },
        create: { ...record, product_id: job.product_id, story_id: story.id, repo: job.product.repo, number: pull.number, state: 'OPEN', created_by_app: outcome.kind === 'opened' },
        update: { ...record, story_id: story.id },
      });
    }
    await tx.job.update({ where: { id: jobId }, data: { pr_url: outcome.url } });
    await addTrace(tx, { job_id: jobId, message: `story PR ${outcome.kind}: #${outcome.number} ${outcome.url}` });
  });
  return outcome;
}
