// The app against the git-backed fake GitHub: people open and merge story PRs
// on "github.com", the fake's pull_request webhooks are delivered signed to the
// app, and the app records each merge method from real git objects.
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub, type FakeWebhookEvent } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { deliver, waitFor } from './support.ts';

let fake: FakeGitHub;
let app: TestApp;
let productId: string;
const repo = 'acme/e2e-shop';
const branches: string[] = [];

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { files: { 'README.md': 'shop\n', 'src/app.txt': 'one\n' } });
  app = await startTestApp({ env: { GHE_HOST: fake.host, GHE_PROTOCOL: 'http' } });
  const product = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Shop', repo } });
  expect(product.status).toBe(201);
  productId = product.body.id;
  const backlog = await app.call('POST', `/api/v1/admin/products/${productId}/backlog`, {
    body: { pbis: [{ title: 'PBI', stories: ['merge', 'squash', 'rebase', 'reopen'].map((code) => ({ code, title: `by ${code}`, tasks: [{ title: 'task' }] })) }] },
  });
  expect(backlog.status).toBe(201);
  branches.push(...backlog.body.pbis[0].stories.map((s: { branch: string }) => s.branch));
  // every pull_request event the fake emits goes to the app, as GitHub would send it
  fake.onEvent((event) => {
    if (holding) held.push(event);
    else pending.push(deliver(app, event.name, event.payload).then((sent) => expect(sent.status).toBe(200)));
  });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

let pending: Promise<unknown>[] = [];
/** while holding, events wait in `held` so a test can deliver them in any order */
let holding = false;
const held: FakeWebhookEvent[] = [];
async function delivered() {
  const sent = pending;
  pending = [];
  await Promise.all(sent);
}

const record = (number: number) => app.db.prisma.pullRequest.findUnique({ where: { product_id_number: { product_id: productId, number } } });

describe('story PRs on the fake GitHub', () => {
  it.each([
    ['merge', 'MERGE'],
    ['squash', 'SQUASH'],
    ['rebase', 'REBASE'],
  ] as const)('a story PR merged by %s records %s and the base it landed on', async (method, expected) => {
    const branch = branches[['merge', 'squash', 'rebase'].indexOf(method)]!;
    for (let i = 1; i <= 3; i++) fake.commitToBranch(repo, branch, { [`${method}-${i}.txt`]: `${i}\n` }, `${method} step ${i}`);
    const number = fake.openPull(repo, { head: branch, title: `by ${method}` });
    await delivered();
    expect(await record(number)).toMatchObject({ state: 'OPEN', head_ref: branch, head_sha: fake.branchSha(repo, branch) });

    fake.commitToBranch(repo, 'main', { [`main-${method}.txt`]: 'moved\n' }, 'main moves on');
    const outcome = fake.mergePull(repo, number, { method });
    await delivered();
    const merged = await waitFor(async () => {
      const current = await record(number);
      return current?.merge_method ? current : null;
    }, `the merge method of #${number}`);
    expect(merged).toMatchObject({ state: 'MERGED', merge_commit_sha: outcome.mergeCommitSha, merge_method: expected, merge_parent_sha: outcome.baseShaBefore });
  });

  it('follows a push; a reopen delivered before its close still ends open', async () => {
    const branch = branches[3]!;
    fake.commitToBranch(repo, branch, { 'r.txt': '1\n' }, 'first');
    const number = fake.openPull(repo, { head: branch, title: 'reopen me' });
    fake.commitToBranch(repo, branch, { 'r.txt': '2\n' }, 'second');
    await delivered();
    expect(await record(number)).toMatchObject({ state: 'OPEN', head_sha: fake.branchSha(repo, branch) });

    holding = true;
    fake.closePull(repo, number);
    // a person reopening it on github.com (the fake has no control for that: its REST API)
    const [owner, name] = repo.split('/') as [string, string];
    await new ProbotOctokit({ auth: { token: 'person' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } }).rest.pulls.update({
      owner,
      repo: name,
      pull_number: number,
      state: 'open',
    });
    holding = false;
    const [close, reopen] = held.splice(0);
    expect([close?.payload.action, reopen?.payload.action]).toEqual(['closed', 'reopened']);
    expect((await deliver(app, reopen!.name, reopen!.payload)).status).toBe(200);
    expect((await deliver(app, close!.name, close!.payload)).status).toBe(200);
    expect((await record(number))!.state).toBe('OPEN');
  });
});
