// The console tests' world: the app on the git-backed fake GitHub, whose
// pull_request webhooks are delivered to it as GitHub would, a product with a
// backlog, and an agent that claims, pushes real commits and reports.
import { expect } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { deliver } from '../webhooks/support.ts';

// The console's tests are about its pages: GitHub behaviour (Probot's write
// pacing included) is tested elsewhere, so this app talks to the fake unpaced.
const unpaced = { octokit: 'unpaced' } as unknown as Parameters<typeof startTestApp>[0];

export interface ConsoleWorld {
  fake: FakeGitHub;
  app: TestApp;
  repo: string;
  productId: string;
  agentToken: string;
  /** the app now serving (a restart replaces it) */
  restart(): Promise<TestApp>;
  /** webhooks sent so far have been answered */
  delivered(): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleWorld(repo = 'acme/shop'): Promise<ConsoleWorld> {
  const fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'shop\n', 'src/app.txt': 'one\ntwo\n' } });
  const env = { GHE_HOST: fake.host, GHE_PROTOCOL: 'http' };
  const first = await startTestApp({ ...unpaced, env });
  const apps: TestApp[] = [first];
  let pending: Promise<unknown>[] = [];
  const world: ConsoleWorld = {
    fake,
    app: first,
    repo,
    productId: '',
    agentToken: '',
    async restart() {
      const old = world.app;
      await old.stop();
      // the same database and port: open browsers reconnect to it
      const next = await startTestApp({ ...unpaced, env: { ...env, PORT: String(old.port) }, reuseDatabaseUrl: old.db.url });
      apps.push(next);
      world.app = next;
      return next;
    },
    async delivered() {
      const sent = pending;
      pending = [];
      await Promise.all(sent);
    },
    async close() {
      for (const app of apps.reverse()) await app.close();
      await fake.close();
    },
  };
  fake.onEvent((event) => {
    pending.push(deliver(world.app, event.name, event.payload).then((sent) => expect(sent.status).toBe(200)));
  });
  const product = await first.call('POST', '/api/v1/admin/products', { body: { name: 'Shop', repo } });
  expect(product.status).toBe(201);
  world.productId = product.body.id;
  world.agentToken = (await first.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent' } })).body.token;
  return world;
}

/** Queues a job for a task and claims it as the agent. */
export async function claimTask(world: ConsoleWorld, taskId: string) {
  const queued = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [taskId], priority: 100 } });
  expect(queued.status).toBe(201);
  const claimed = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
  expect(claimed.status).toBe(200);
  expect(claimed.body.job.task.id).toBe(taskId);
  return claimed.body.job as { id: string; branch: string };
}

export async function report(world: ConsoleWorld, jobId: string, body: Record<string, unknown>) {
  const response = await world.app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: world.agentToken, body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}
