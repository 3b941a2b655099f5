// A world for cascade tests: the app on its own database, pointed at the
// git-backed fake GitHub (GHE_HOST), with agents that push real commits.
import { expect } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

export interface CascadeWorld {
  app: TestApp;
  fake: FakeGitHub;
  repo: string;
  productId: string;
  agentToken: string;
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

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
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
  const queued = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [taskId], priority } });
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
