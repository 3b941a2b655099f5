// kill -9 the app in the middle of a cascade, with GitHub slowed down; a new
// process finishes it: no comment written twice, no second revert PR, no job lost.
// Bounds are generous: two app processes boot and Probot paces the writes (1 s apart),
// on a machine that may be busy with other test files.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { adminToken, appProcessEnv, projectRoot } from '../support/app.ts';
import { createTestDatabase } from '../support/database.ts';
import { freePort } from '../../src/server.ts';
import { until } from '../cascade/support.ts';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeGitHub;
let database: Db;
const repo = 'acme/crash';
const children: ChildProcess[] = [];
/** SCRUM4ME_WORKER_DEAD_AFTER_SECONDS of both processes: only the killed one is ever judged dead (the next is alone). */
const deadAfterSeconds = 5;

async function startAppProcess(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    // the killed process's jobs are released once its heartbeat is this old (30 s by default: waited out here)
    env: { ...appProcessEnv({ databaseUrl: database.url, gheHost: fake.host, port, webhookSecret: 'crash-test-secret' }), SCRUM4ME_WORKER_DEAD_AFTER_SECONDS: String(deadAfterSeconds) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  await until('the app process to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 90_000);
  return child;
}

const api = (port: number) => async (method: string, path: string, body?: unknown, token = adminToken) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'crash\n' } });
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await fake?.close();
  await database?.drop();
});

describe('a process killed during a cascade', () => {
  it('is finished by the next process without repeating a finished step', async () => {
    const port = await freePort();
    const first = await startAppProcess(port);
    const call = api(port);
    const product = await call('POST', '/api/v1/admin/products', { name: 'Crash', repo });
    expect(product.status).toBe(201);
    const agent = (await call('POST', '/api/v1/admin/tokens', { user: 'agent' })).body.token as string;
    const codes = ['A', 'B', 'C', 'D', 'E', 'X'];
    const imported = await call('POST', `/api/v1/admin/products/${product.body.id}/backlog`, {
      pbis: [{ title: 'Crashy PBI', stories: codes.map((code) => ({ code, title: `Story ${code}`, tasks: [{ title: code, plan_paths: [`${code}.txt`] }] })) }],
    });
    const stories = imported.body.pbis[0].stories as { code: string; branch: string; tasks: { id: string }[] }[];
    const prs: number[] = [];
    let failing: { id: string } | undefined;
    for (const story of stories) {
      await call('POST', '/api/v1/admin/jobs', { user: 'agent', task_ids: [story.tasks[0]!.id] });
      const job = (await call('POST', '/api/v1/jobs/claim', { wait_seconds: 0 }, agent)).body.job;
      if (story.code === 'X') {
        failing = job;
        break;
      }
      fake.commitToBranch(repo, job.branch, { [`${story.code}.txt`]: `${story.code}\n` }, `Work on ${story.code}`);
      expect((await call('POST', `/api/v1/jobs/${job.id}/verify`, {}, agent)).status).toBe(200);
      const done = await call('POST', `/api/v1/jobs/${job.id}/status`, { status: 'done', summary: `Finished story ${story.code} as planned` }, agent);
      prs.push(Number(done.body.pr_url.split('/').at(-1)));
    }
    expect(prs).toHaveLength(5);

    fake.latencyMs = 250;
    const failed = await call('POST', `/api/v1/jobs/${failing!.id}/status`, { status: 'failed', error: 'boom' }, agent);
    expect(failed.status).toBe(200);
    const cascadeId = failed.body.cascade.id as string;
    await until('a first step to finish', async () => (await database.db.prisma.cascadeStep.count({ where: { cascade_id: cascadeId, state: 'DONE' } })) >= 1, 90_000);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    const doneBeforeCrash = await database.db.prisma.cascadeStep.count({ where: { cascade_id: cascadeId, state: 'DONE' } });
    expect(doneBeforeCrash).toBeLessThan(6);

    fake.latencyMs = 0;
    await startAppProcess(await freePort());
    const cascade = await until('the cascade to finish after the restart', async () => {
      const row = await database.db.prisma.cascade.findUnique({ where: { id: cascadeId }, include: { steps: true } });
      return row?.status === 'DONE' ? row : undefined;
    }, 180_000);
    expect(cascade.steps.map((s) => s.state).sort()).toEqual(Array(6).fill('DONE'));
    for (const pr of prs) {
      expect(fake.pull(repo, pr).state).toBe('closed');
      const comments = fake.comments(repo, pr);
      expect(comments, `comments on #${pr}`).toHaveLength(1);
    }
    for (const story of stories) expect(fake.branchSha(repo, story.branch)).toBeNull();
    const jobs = await database.db.prisma.job.findMany({ select: { status: true } });
    expect(jobs.map((j) => j.status).sort()).toEqual([...Array(5).fill('DONE'), 'FAILED']);
  }, 420_000);
});
