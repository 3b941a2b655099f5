// A world for cascade tests: the app on its own database, pointed at the
// git-backed fake GitHub (GHE_HOST), with agents that push real commits.
import { expect } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { hurryRetries } from '../support/graphile-jobs.ts';

export interface CascadeWorld {
  app: TestApp;
  fake: FakeGitHub;
  repo: string;
  productId: string;
  agentToken: string;
  /** the user of agentToken ('agent' when not set) */
  agentUser?: string;
  close(): Promise<void>;
}

export async function startCascadeWorld(repo = 'acme/shop', options: { env?: Record<string, string> } = {}): Promise<CascadeWorld> {
  const fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'shop\n', 'src/app.txt': 'one\ntwo\nthree\n' } });
  const app = await startTestApp({ env: { GHE_HOST: fake.host, GHE_PROTOCOL: 'http', ...options.env } });
  const product = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Shop', repo } });
  expect(product.status).toBe(201);
  const agent = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent' } });
  return {
    app,
    fake,
    repo,
    productId: product.body.id,
    agentToken: agent.body.token,
    async close() {
      await app.close();
      await fake.close();
    },
  };
}

let owners = 0;
/**
 * A world of its own beside `shared`, on its app and fake GitHub: a repository under an owner
 * of its own (so an installation of its own: Probot paces writes per installation), with its
 * product and agent. Tests in such worlds can run side by side (describe.concurrent) as long as
 * they read the call log from their own start and by their own repository.
 */
export async function worldBeside(shared: CascadeWorld, name: string): Promise<CascadeWorld> {
  const owner = `${name}-${++owners}`;
  const repo = `${owner}/shop`;
  shared.fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'shop\n', 'src/app.txt': 'one\ntwo\nthree\n' } });
  const product = await shared.app.call('POST', '/api/v1/admin/products', { body: { name: `Shop of ${owner}`, repo } });
  expect(product.status).toBe(201);
  const agentUser = `agent-${owner}`;
  const agent = await shared.app.call('POST', '/api/v1/admin/tokens', { body: { user: agentUser } });
  expect(agent.status).toBe(201);
  return { app: shared.app, fake: shared.fake, repo, productId: product.body.id, agentToken: agent.body.token, agentUser, close: async () => {} };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Queues a job for a task and claims it (priority makes it the next one). */
export async function claimTask(world: CascadeWorld, taskId: string, priority: number) {
  const queued = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: world.agentUser ?? 'agent', task_ids: [taskId], priority } });
  expect(queued.status).toBe(201);
  const claimed = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
  expect(claimed.status).toBe(200);
  expect(claimed.body.job.task.id).toBe(taskId);
  return claimed.body.job as { id: string; branch: string };
}

/** An agent's whole task: push real commits to the story branch, verify, report done. */
export async function finishTask(world: CascadeWorld, job: { id: string; branch: string }, commits: Record<string, string>[], summary: string) {
  for (const [i, files] of commits.entries()) world.fake.commitToBranch(world.repo, job.branch, files, `${summary} (${i + 1})`);
  const verify = await world.app.call('POST', `/api/v1/jobs/${job.id}/verify`, { token: world.agentToken, body: {} });
  expect(verify.status).toBe(200);
  const done = await world.app.call('POST', `/api/v1/jobs/${job.id}/status`, { token: world.agentToken, body: { status: 'done', summary } });
  expect(done.status).toBe(200);
  expect(done.body.status).toBe('done');
  return done.body as { pr_url: string | null };
}

/** What a pull_request.closed (merged) webhook tells the app. */
export async function recordMerge(world: CascadeWorld, number: number, mergeCommitSha: string) {
  await world.app.db.prisma.pullRequest.update({
    where: { product_id_number: { product_id: world.productId, number } },
    data: { state: 'MERGED', merge_commit_sha: mergeCommitSha, merged_at: new Date() },
  });
}

export const prNumber = (url: string | null) => Number(url!.split('/').at(-1));

let pbiCounter = 0;
/** A new PBI with one single-task story per code (task plan path `<code><n>.txt`). */
export async function newPbi(world: CascadeWorld, codes: string[]) {
  const n = ++pbiCounter;
  const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
    body: {
      pbis: [{ code: `P${n}`, title: `PBI ${n}`, stories: codes.map((code) => ({ code: `${code}${n}`, title: `Story ${code}${n}`, tasks: [{ title: `Task ${code}`, plan_paths: [`${code}${n}.txt`] }] })) }],
    },
  });
  expect(imported.status).toBe(201);
  const pbi = imported.body.pbis[0];
  const stories = Object.fromEntries(codes.map((code, i) => [code, pbi.stories[i]])) as Record<string, { id: string; branch: string; tasks: { id: string }[] }>;
  const file = (code: string) => `${code}${n}.txt`;
  return { n, pbiId: pbi.id as string, stories, task: (code: string) => stories[code]!.tasks[0]!.id, file, branch: (code: string) => stories[code]!.branch };
}

export const failJob = (world: CascadeWorld, jobId: string, error = 'tests fail') =>
  world.app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: world.agentToken, body: { status: 'failed', error } });

/**
 * Waits for the cascade to finish, its retries run as soon as they are due (the retries are
 * tested, not graphile-worker's e^attempts s wait); only this cascade's own undo job is hurried.
 */
export async function cascadeDone(world: CascadeWorld, pbiId: string, index = 0) {
  return until('the cascade to finish', async () => {
    const read = await world.app.call('GET', `/api/v1/admin/pbis/${pbiId}`);
    const cascade = read.body.cascades[index];
    if (cascade && cascade.status !== 'done') await hurryRetries(world.app.db.pool, 'cascade_undo', `cascade:${cascade.id}`);
    return cascade?.status === 'done' ? read.body : undefined;
    // generous: Probot paces writes (1 s apart, 3 s for comments and PRs), and the machine may be busy
  }, 180_000);
}

export const stepOf = (view: { cascades: { steps: { branch: string }[] }[] }, branch: string, index = 0) =>
  view.cascades[index]!.steps.find((s) => s.branch === branch) as Record<string, unknown>;

/**
 * Makes the undo's first run fail before any step (a 502 on its first read,
 * GET /repos/{o}/{r}) and waits until it has: the queue retries the undo a few
 * seconds later, and what the test does to GitHub meanwhile happens between the
 * cascade's plan and its steps.
 */
export function holdUndoOnce(world: CascadeWorld) {
  const path = `/repos/${world.repo}`;
  const from = world.fake.calls.length;
  world.fake.faults.inject({ method: 'GET', path, times: 1, status: 502 });
  return {
    /** resolves once the undo's first run has met the fault */
    held: () => until('the undo to meet the held read', async () => world.fake.calls.slice(from).some((c) => c.method === 'GET' && c.path === path && c.faulted)),
  };
}

/** Calls the fake logged whose method and (decoded) path match. */
export const callsTo = (world: CascadeWorld, method: string, path: string | RegExp) =>
  world.fake.calls.filter((c) => c.method === method && (typeof path === 'string' ? decodeURIComponent(c.path) === path : path.test(decodeURIComponent(c.path))));
