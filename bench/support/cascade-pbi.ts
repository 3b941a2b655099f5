// The PBI the cascade bench fails: 40 stories of 5 tasks (200 task jobs), set up
// through the app's real APIs (operator API for the product, backlog and jobs;
// agent API for claim, verify and status; the fake GitHub's controls for the
// agents' pushes and for people merging), with every webhook delivered. Four
// agents (users) work in parallel lanes; people then merge in story order:
//   stories  0– 9  open story PR (task 1 done and pushed; task 2 claimed, or running with one more commit pushed)
//   stories 10–19  merged story PR (task 1 done, two commits; merge / squash / rebase in turn);
//                  after each of 10–14 main moves on with a commit touching other files
//   stories 20–29  pushed branch, no PR (task 1 running); the bench fails story 29's task 1
//   stories 30–34  task 1 claimed, nothing pushed (no branch)
//   stories 35–39  nothing claimed, nothing pushed
// every other task's job queued (155 jobs).
import type { MergeMethod, MergeOutcome } from '../../test/support/fake-github/index.ts';
import type { CascadeBenchEnv } from './cascade-world.ts';

export type StoryKind = 'open' | 'merged' | 'pushed' | 'claimed' | 'untouched';

export interface BenchStory {
  index: number;
  id: string;
  code: string;
  title: string;
  branch: string;
  kind: StoryKind;
  taskIds: string[];
  prNumber?: number;
  merge?: MergeOutcome & { method: MergeMethod; baseMovedOnByOthers: boolean };
}

export interface BenchPbi {
  repo: string;
  productId: string;
  pbiId: string;
  stories: BenchStory[];
  failingJobId: string;
  failingStory: BenchStory;
  /** every job of the PBI */
  jobIds: string[];
  /** the token of the agent whose job fails */
  agentToken: string;
  /** jobs QUEUED, CLAIMED or RUNNING before the failure, the failing one excluded: what the cascade must cancel */
  activeSiblingIds: string[];
  setupMs: number;
}

const storyCount = 40;
const lanes = 4;
const tasksPerStory = 5;
const pad = (n: number) => String(n).padStart(2, '0');
const kindOf = (i: number): StoryKind => (i < 10 ? 'open' : i < 20 ? 'merged' : i < 30 ? 'pushed' : i < 35 ? 'claimed' : 'untouched');
const mergeMethods: MergeMethod[] = ['merge', 'squash', 'rebase'];

export async function buildCascadePbi(env: CascadeBenchEnv, repo: string): Promise<BenchPbi> {
  const started = Date.now();
  const { fake } = env;
  const expectStatus = (what: string, answer: { status: number; body: unknown }, status: number) => {
    if (answer.status !== status) throw new Error(`cascade bench setup: ${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`);
  };

  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'cascade bench\n', 'shared/config.txt': 'one\ntwo\nthree\n' } });
  const product = await env.call('POST', '/api/v1/admin/products', { body: { name: `Cascade bench ${repo}`, repo } });
  expectStatus('product add', product, 201);

  const backlog = await env.call('POST', `/api/v1/admin/products/${product.body.id}/backlog`, {
    body: {
      pbis: [
        {
          code: 'PBI-CASCADE',
          title: 'Cascade bench',
          stories: Array.from({ length: storyCount }, (_, i) => ({
            code: `S${pad(i)}`,
            title: `Story ${pad(i)}`,
            tasks: Array.from({ length: tasksPerStory }, (_, t) => ({
              title: `Task ${pad(i)}.${t + 1}`,
              plan: `Change files under s${pad(i)}/`,
              plan_paths: [`s${pad(i)}/**`],
            })),
          })),
        },
      ],
    },
  });
  expectStatus('backlog import', backlog, 201);
  const pbi = backlog.body.pbis[0] as { id: string; stories: { id: string; code: string; title: string; branch: string; tasks: { id: string }[] }[] };
  const stories: BenchStory[] = pbi.stories.map((s, index) => ({
    index,
    id: s.id,
    code: s.code,
    title: s.title,
    branch: s.branch,
    kind: kindOf(index),
    taskIds: s.tasks.map((t) => t.id),
  }));

  // Agents work in `lanes` in parallel, one user (and token) each, so a claim can only
  // hand out the job its lane just queued; each lane takes every lanes-th story.
  const agents = await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const user = `agent-${lane}-${repo.replace(/[^a-z0-9]/gi, '-')}`;
      const token = await env.call('POST', '/api/v1/admin/tokens', { body: { user } });
      expectStatus('token create', token, 201);
      return { user, token: token.body.token as string };
    }),
  );

  const push = (story: BenchStory, n: number, text: string) =>
    fake.commitToBranch(repo, story.branch, { [`s${pad(story.index)}/file-${n}.txt`]: `${text}\n` }, `${story.code}: ${text}`);
  const claimedJobIds: string[] = [];
  let failing: { jobId: string; token: string } | undefined;
  await Promise.all(
    agents.map(async ({ user, token }, lane) => {
      const agent = (method: string, route: string, body: unknown = {}) => env.call(method, route, { token, body });
      /** queue one task's job ahead of the lane's queue and claim it: the claim must hand out exactly this job */
      const claim = async (taskId: string): Promise<string> => {
        expectStatus('enqueue', await env.call('POST', '/api/v1/admin/jobs', { body: { user, task_ids: [taskId], priority: 10 } }), 201);
        const claimed = await agent('POST', '/api/v1/jobs/claim', { wait_seconds: 0 });
        expectStatus('claim', claimed, 200);
        if (claimed.body.job.task.id !== taskId) throw new Error(`cascade bench setup: claimed ${claimed.body.job.task.id}, expected ${taskId}`);
        return claimed.body.job.id as string;
      };
      const running = async (jobId: string) => expectStatus('running', await agent('POST', `/api/v1/jobs/${jobId}/status`, { status: 'running' }), 200);
      const finish = async (story: BenchStory, jobId: string) => {
        expectStatus('verify', await agent('POST', `/api/v1/jobs/${jobId}/verify`), 200);
        const done = await agent('POST', `/api/v1/jobs/${jobId}/status`, { status: 'done', summary: `Implemented the first task of ${story.code} as planned` });
        expectStatus('done', done, 200);
        if (done.body.status !== 'done' || !done.body.pr_url) throw new Error(`cascade bench setup: done gave ${JSON.stringify(done.body).slice(0, 300)}`);
        return Number(String(done.body.pr_url).split('/').at(-1));
      };
      for (const story of stories.filter((s) => s.index % lanes === lane)) {
        const [task1, task2] = story.taskIds as [string, string];
        switch (story.kind) {
          case 'open': {
            const job = await claim(task1);
            push(story, 1, 'first change');
            story.prNumber = await finish(story, job);
            const next = await claim(task2);
            claimedJobIds.push(next);
            if (story.index >= 5) {
              await running(next);
              push(story, 2, 'work in progress of task 2');
            }
            break;
          }
          case 'merged': {
            const job = await claim(task1);
            push(story, 1, 'first change');
            push(story, 2, 'second change');
            story.prNumber = await finish(story, job);
            break;
          }
          case 'pushed': {
            const job = await claim(task1);
            await running(job);
            push(story, 1, 'half-done work');
            claimedJobIds.push(job);
            if (story.index === 29) failing = { jobId: job, token };
            break;
          }
          case 'claimed':
            claimedJobIds.push(await claim(task1));
            break;
          case 'untouched':
            break;
        }
      }
    }),
  );

  // people merge the ten PRs, in story order (so only the last one is still main's tip):
  // merge, squash, rebase in turn; after each of the first five someone moves main on
  for (const story of stories.filter((s) => s.kind === 'merged')) {
    const method = mergeMethods[(story.index - 10) % mergeMethods.length]!;
    const outcome = fake.mergePull(repo, story.prNumber!, { method });
    const baseMovedOnByOthers = story.index < 15;
    if (baseMovedOnByOthers) fake.commitToBranch(repo, 'main', { [`others/after-${story.code}.txt`]: 'someone else moved main on\n' }, `Unrelated work after ${story.code}`);
    story.merge = { ...outcome, method, baseMovedOnByOthers };
  }

  // the rest of the backlog, queued
  const rest = stories.flatMap((s) => {
    const from = s.kind === 'open' ? 2 : s.kind === 'untouched' ? 0 : 1;
    return s.taskIds.slice(from);
  });
  const queued = await env.call('POST', '/api/v1/admin/jobs', { body: { user: agents[0]!.user, task_ids: rest, priority: 0 } });
  expectStatus('enqueue the rest', queued, 201);
  const queuedIds = (queued.body.jobs as { id: string }[]).map((j) => j.id);

  // the merge webhooks delivered and each merge method resolved from git, as before any real failure
  await env.webhooksDelivered();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pull_requests WHERE product_id = $1 AND state = 'MERGED' AND merge_method IS NOT NULL AND merge_commit_sha IS NOT NULL`,
      [product.body.id],
    );
    if (rows[0]!.n === 10) break;
    if (Date.now() > deadline) throw new Error(`cascade bench setup: only ${rows[0]!.n} of 10 merges recorded with their method`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const { rows: jobs } = await env.pool.query<{ id: string; status: string }>('SELECT id, status::text AS status FROM jobs WHERE pbi_id = $1', [pbi.id]);
  if (jobs.length !== storyCount * tasksPerStory) throw new Error(`cascade bench setup: ${jobs.length} jobs, expected ${storyCount * tasksPerStory}`);
  const failingJobId = failing?.jobId ?? '';
  const activeSiblingIds = jobs.filter((j) => ['QUEUED', 'CLAIMED', 'RUNNING'].includes(j.status) && j.id !== failingJobId).map((j) => j.id);
  if (!failing) throw new Error('cascade bench setup: no failing job');
  if (queuedIds.length + claimedJobIds.length - 1 !== activeSiblingIds.length) {
    throw new Error(`cascade bench setup: ${activeSiblingIds.length} active siblings, expected ${queuedIds.length + claimedJobIds.length - 1}`);
  }
  return {
    repo,
    productId: product.body.id,
    pbiId: pbi.id,
    agentToken: failing.token,
    stories,
    failingJobId: failing.jobId,
    failingStory: stories[29]!,
    jobIds: jobs.map((j) => j.id),
    activeSiblingIds,
    setupMs: Date.now() - started,
  };
}
