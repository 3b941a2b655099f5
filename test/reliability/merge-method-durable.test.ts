// A merge-method lookup is a durable job: the app process is killed (SIGKILL)
// while the lookup waits on GitHub; the job is still in the queue, and the next
// process (once the dead worker's heartbeat is stale) runs it to the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub, type FakeWebhookEvent } from '../support/fake-github/index.ts';
import { adminToken, appProcessEnv, projectRoot, startTestApp, webhookSecret, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { sign } from '../webhooks/support.ts';
import { freePort } from '../../src/server.ts';
import { until } from '../cascade/support.ts';

let fake: FakeGitHub;
let database: TestDatabase;
let next: TestApp | undefined;
const children: ChildProcess[] = [];
const repo = 'acme/durable';
/** The next process releases the killed one's job once its heartbeat is this old (30 s by default: waited out here); it is alone, so no live worker can be judged dead. */
const deadAfter = { SCRUM4ME_WORKER_DEAD_AFTER_SECONDS: '5' };

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'durable\n' } });
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await next?.close();
  await fake?.close();
  await database?.drop();
});

async function deliver(base: string, event: FakeWebhookEvent) {
  const body = JSON.stringify(event.payload);
  const response = await fetch(`${base}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event.name, 'x-github-delivery': event.id, 'x-hub-signature-256': sign(body) },
    body,
  });
  expect(response.status).toBe(200);
}

describe('a merge-method lookup across a crash', () => {
  it('stays queued when the process dies in the middle of it, and the next process records the method', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      env: { ...appProcessEnv({ databaseUrl: database.url, gheHost: fake.host, port, webhookSecret }), ...deadAfter },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    await until('the app process to be ready', async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 30_000);
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const product = await call('POST', '/api/v1/admin/products', { name: 'Durable', repo });
    expect(product.status).toBe(201);
    const imported = await call('POST', `/api/v1/admin/products/${product.body.id}/backlog`, {
      pbis: [{ title: 'PBI', stories: [{ code: 'M', title: 'Merged story', tasks: [{ title: 'task' }] }] }],
    });
    const branch = imported.body.pbis[0].stories[0].branch as string;
    fake.commitToBranch(repo, branch, { 'a.txt': 'a\n' }, 'first');
    fake.commitToBranch(repo, branch, { 'b.txt': 'b\n' }, 'second');
    const events: FakeWebhookEvent[] = [];
    fake.onEvent((event) => events.push(event));
    const number = fake.openPull(repo, { head: branch, title: 'Merged story' });
    for (const event of events.splice(0)) await deliver(base, event);

    // the lookup's first read of the merge commit never answers; the process dies meanwhile
    fake.faults.inject({ route: 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}', hang: true });
    const merged = fake.mergePull(repo, number, { method: 'merge' });
    for (const event of events.splice(0)) await deliver(base, event);
    await until('the lookup to be waiting on GitHub', async () => fake.calls.some((c) => c.route === 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}'), 30_000);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const record = await database.db.prisma.pullRequest.findFirstOrThrow({ where: { number, product_id: product.body.id } });
    expect(record).toMatchObject({ state: 'MERGED', merge_commit_sha: merged.mergeCommitSha, merge_method: null });
    const queued = await database.db.pool.query(`SELECT task_identifier FROM graphile_worker.jobs WHERE key = $1`, [`merge-method:${record.id}`]);
    expect(queued.rows).toEqual([{ task_identifier: 'resolve_merge_method' }]);

    next = await startTestApp({ env: { GHE_HOST: fake.host, GHE_PROTOCOL: 'http', ...deadAfter }, reuseDatabaseUrl: database.url });
    const resolved = await until('the next process to record the merge method', async () => {
      const row = await database.db.prisma.pullRequest.findUniqueOrThrow({ where: { id: record.id } });
      return row.merge_method ? row : undefined;
    }, 120_000);
    expect(resolved).toMatchObject({ merge_method: 'MERGE', merge_parent_sha: merged.baseShaBefore });
    await until('the job to be done', async () => (await database.db.pool.query(`SELECT 1 FROM graphile_worker.jobs WHERE key = $1`, [`merge-method:${record.id}`])).rowCount === 0, 30_000);
  }, 180_000);
});
