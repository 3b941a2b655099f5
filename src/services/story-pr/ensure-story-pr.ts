// S7: one pull request per story. The first done task with pushed work opens
// it; later tasks reuse it and their summaries are added to its body.
//   open:   POST /repos/{o}/{r}/pulls (1 call), after a check under the PBI's
//           cascade lock: never while the PBI's cascade is open or opening
//   adopt:  + GET /repos/{o}/{r}/pulls?head=o:branch&state=open (on 422)
//   body:   PATCH /repos/{o}/{r}/pulls/{n}, only when it changed
// Body updates run in the story's background queue (story-pr-queue.ts), one at
// a time, each built from the database when it is sent: two siblings' `done`
// cannot overwrite each other's summary (the last writer sends both).
import { lockPbiForCascade } from '../cascade/pbi-lock.ts';
import { storyDoneSummaries } from '../../db/sql/story-done-summaries.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import { splitRepo } from '../github/branches.ts';
import type { FullPull, InstallationGitHub, Repo } from '../github/port.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { addTrace } from '../jobs/trace.ts';
import { storyPrBody, storyPrTitle } from './story-pr-body.ts';
import { queueStoryPrBody } from './story-pr-queue.ts';

export type StoryPrOutcome = { kind: 'opened' | 'adopted' | 'reused'; url: string; number: number } | { kind: 'skipped'; reason: string };

export interface StoryPrOptions {
  /**
   * `queue` (a status call): a body update of an existing PR goes to the story's
   * background queue. `now` (that queue's own job, the default): it is sent now.
   */
  body?: 'now' | 'queue';
}

type Services = Pick<AppServices, 'prisma' | 'github' | 'log'>;
type Db = PrismaClient | Prisma.TransactionClient;
type Job = Awaited<ReturnType<typeof loadJob>>;
type Story = NonNullable<Job['story']>;
type OpenPull = NonNullable<Awaited<ReturnType<typeof openStoryPull>>>;
/** What we keep of a PR GitHub answered (create, update or list). */
type GitHubPull = Pick<FullPull, 'id' | 'number' | 'title' | 'body' | 'html_url' | 'updated_at'> & {
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { ref: string };
};

/** The check under the PBI lock waits for whoever holds it (a cascade opening, an enqueue): short transactions. */
const lockedCheckLimits = { maxWait: 5_000, timeout: 15_000 };

const cascadeOpen = 'the PBI has an open fail-cascade';

export async function ensureStoryPullRequest(services: Services, jobId: string, options: StoryPrOptions = {}): Promise<StoryPrOutcome> {
  const { prisma } = services;
  const mode = options.body ?? 'now';
  const job = await loadJob(prisma, jobId);
  if (!job.story || !job.pushed_at) return { kind: 'skipped', reason: 'no pushed work' };
  if (!job.product.auto_pr) return { kind: 'skipped', reason: 'auto_pr is off for the product' };
  const accessProblem = githubAccessProblem(job.product);
  if (accessProblem || job.product.installation_id === null) return { kind: 'skipped', reason: accessProblem ?? 'no installation' };
  const story = job.story;
  const github = await services.github.installation(job.product.installation_id);
  const repo = splitRepo(job.product.repo);

  // Under the PBI's cascade lock: a cascade that is opening commits first and is
  // seen here. The lock is not held through the POST (it would hold a database
  // connection while the request waits its turn in the write pacing); a cascade
  // that opens after this check finds the new PR itself, since each undo step
  // re-reads GitHub for its branch right before it acts.
  const decided = await prisma.$transaction(async (tx) => {
    await lockPbiForCascade(tx, story.pbi_id);
    if (await tx.cascade.count({ where: { open_pbi_id: story.pbi_id } })) return { kind: 'skipped', reason: cascadeOpen } as const;
    const existing = await openStoryPull(tx, job.product_id, story.branch);
    if (existing) return { kind: 'existing', pull: existing } as const;
    return { kind: 'open', body: await bodyNow(tx, story.id) } as const;
  }, lockedCheckLimits);
  if (decided.kind === 'skipped') return decided;
  if (decided.kind === 'existing') return reuse(services, github, repo, job, decided.pull, mode);

  // not retried blind (a lost answer may hide a PR made): the next attempt finds it by the 422
  // "A pull request already exists for owner:branch" (a sibling, a person, or our own lost answer) and adopts it
  const opened = await github.openPullRequest(repo, { title: storyPrTitle(story), head: story.branch, base: job.product.base_branch, body: decided.body });
  const pull: GitHubPull = opened.pull;
  const outcome = { kind: opened.kind, url: pull.html_url, number: pull.number };
  await prisma.$transaction(async (tx) => {
    await recordPull(tx, job, story, pull, outcome.kind === 'opened');
    await recordOnJob(tx, job, outcome);
    // an adopted PR's body follows in the story's queue. A sibling's summary that
    // missed this body arrives through the sibling's own call (reuse or adopt).
    if (outcome.kind === 'adopted') await queueStoryPrBody(tx, story.id, job.id);
  });
  return outcome;
}

/** The story's PR exists: record it on the job, and bring its body up to date (now, or in the story's queue). */
async function reuse(services: Services, github: InstallationGitHub, repo: Repo, job: Job, existing: OpenPull, mode: 'now' | 'queue'): Promise<StoryPrOutcome> {
  const { prisma } = services;
  const story = job.story!;
  const outcome = { kind: 'reused', url: existing.html_url, number: existing.number } as const;
  if (mode === 'now') {
    const body = await bodyNow(prisma, story.id);
    if (existing.body !== body) {
      const pull = await github.updatePullRequestBody(repo, existing.number, body);
      await recordPull(prisma, job, story, pull, false);
    }
  }
  const newToJob = job.pr_url !== existing.html_url;
  if (newToJob || mode === 'queue') {
    await prisma.$transaction(async (tx) => {
      if (newToJob) await recordOnJob(tx, job, outcome);
      if (mode === 'queue') await queueStoryPrBody(tx, story.id, job.id);
    });
  }
  return outcome;
}

function loadJob(prisma: PrismaClient, jobId: string) {
  return prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { story: true, product: { include: { installation: true } } } });
}

function openStoryPull(db: Db, productId: string, branch: string) {
  return db.pullRequest.findFirst({
    where: { product_id: productId, head_ref: branch, state: 'OPEN' },
    orderBy: { number: 'desc' },
    select: { number: true, html_url: true, body: true },
  });
}

/** The body as the database has it at this moment: every task's newest done summary. */
async function bodyNow(db: Db, storyId: string): Promise<string> {
  const summaries = await storyDoneSummaries(db, storyId);
  return storyPrBody(storyId, summaries.map((s) => ({ taskTitle: s.title, summary: s.summary })));
}

async function recordPull(db: Db, job: Job, story: Story, pull: GitHubPull, createdByApp: boolean): Promise<void> {
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
  await db.pullRequest.upsert({
    where: { product_id_number: { product_id: job.product_id, number: pull.number } },
    create: { ...record, product_id: job.product_id, story_id: story.id, repo: job.product.repo, number: pull.number, state: 'OPEN', created_by_app: createdByApp },
    update: { ...record, story_id: story.id },
  });
}

async function recordOnJob(tx: Prisma.TransactionClient, job: Job, outcome: { kind: string; url: string; number: number }): Promise<void> {
  await tx.job.update({ where: { id: job.id }, data: { pr_url: outcome.url } });
  await addTrace(tx, { job_id: job.id, message: `story PR ${outcome.kind}: #${outcome.number} ${outcome.url}` });
}
