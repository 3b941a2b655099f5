// pull_request webhooks through the app's real HTTP path: signature, de-duplication,
// order safety, story linking and merge methods (GitHub mocked with nock).
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueueBackground } from '../../src/services/background/enqueue.ts';
import { mergeMethodJobKey, mergeMethodTask } from '../../src/services/pull-requests/queue-merge-method.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import {
  deliver,
  gitCommitResponse,
  mockInstallationToken,
  pullCommitResponse,
  pullRequestPayload,
  sha,
  sign,
  waitFor,
  type FakeCommit,
  type PullOptions,
} from './support.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  nock.cleanAll();
});

let counter = 0;
/** A product with one story; PR options pointing at the story's branch. */
async function storyWorld() {
  const product = await seedProduct(app.db.prisma, { repo: `acme/webhooks-${++counter}` });
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Do it' }]));
  const story = backlog.pbis[0]!.stories[0]!;
  const pull: PullOptions = { repo: product.repo, installationId, number: 10 + counter, headRef: story.branch };
  return { product, story, pull };
}

const record = (productId: string, number: number) => app.db.prisma.pullRequest.findUnique({ where: { product_id_number: { product_id: productId, number } } });

async function deliveriesMetric(event: string, outcome: string): Promise<number> {
  const metrics = await app.call('GET', '/metrics');
  const line = String(metrics.body)
    .split('\n')
    .find((l) => l.startsWith(`scrum4me_webhook_deliveries_total{event="${event}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('signature', () => {
  it('rejects a delivery with a bad X-Hub-Signature-256 and writes nothing', async () => {
    const { product, pull } = await storyWorld();
    const payload = pullRequestPayload('opened', pull);
    const forged = await deliver(app, 'pull_request', payload, { signature: sign(JSON.stringify(payload), 'not-the-secret') });
    expect(forged.status).toBe(400);
    expect(forged.text).toMatch(/signature does not match/);
    const garbage = await deliver(app, 'pull_request', payload, { signature: 'sha256=00' });
    expect(garbage.status).toBe(400);
    expect(await record(product.id, pull.number)).toBeNull();
    expect(await app.db.prisma.webhookDelivery.count({ where: { id: { in: [forged.id, garbage.id] } } })).toBe(0);
  });

  it('rejects a delivery without a signature header', async () => {
    const { pull } = await storyWorld();
    const response = await fetch(`${app.url}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'no-signature' },
      body: JSON.stringify(pullRequestPayload('opened', pull)),
    });
    expect(response.status).toBe(400);
  });
});

describe('story pull requests', () => {
  it('adopts a PR opened on a story branch: record linked to the story, done jobs get its URL', async () => {
    const { product, story, pull } = await storyWorld();
    const user = await seedUser(app.db.prisma);
    const [job] = await seedTaskJobs(app.db.prisma, user.name, [story.tasks[0]!.id]);
    await app.db.prisma.job.update({ where: { id: job!.id }, data: { status: 'DONE', pushed_at: new Date(), branch: story.branch } });

    const sent = await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    expect(sent.status).toBe(200);
    const pr = await record(product.id, pull.number);
    expect(pr).toMatchObject({
      story_id: story.id,
      state: 'OPEN',
      head_ref: story.branch,
      head_sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      head_repo: product.repo,
      base_ref: 'main',
      html_url: `https://github.com/${product.repo}/pull/${pull.number}`,
      created_by_app: false,
      merge_commit_sha: null,
      github_updated_at: new Date('2019-05-15T15:20:33Z'),
    });
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: job!.id } })).pr_url).toBe(pr!.html_url);
    expect(await app.db.prisma.webhookDelivery.findUnique({ where: { id: sent.id } })).toMatchObject({ event: 'pull_request', action: 'opened' });
  });

  it('ignores a PR whose head is not a story branch', async () => {
    const { product, pull } = await storyWorld();
    const sent = await deliver(app, 'pull_request', pullRequestPayload('opened', { ...pull, headRef: 'feature/someone-else' }));
    expect(sent.status).toBe(200);
    expect(await record(product.id, pull.number)).toBeNull();
  });

  it('never links a PR from a fork, even on a branch named like a story branch', async () => {
    const { product, pull } = await storyWorld();
    const sent = await deliver(app, 'pull_request', pullRequestPayload('opened', { ...pull, headRepo: 'mallory/webhooks-fork' }));
    expect(sent.status).toBe(200);
    expect(await record(product.id, pull.number)).toBeNull();
  });

  it('ignores PRs of repositories that have no product', async () => {
    const sent = await deliver(app, 'pull_request', pullRequestPayload('opened', { repo: 'someone/unknown', installationId, number: 1, headRef: 'story/x' }));
    expect(sent.status).toBe(200);
    expect(await app.db.prisma.pullRequest.count({ where: { repo: 'someone/unknown' } })).toBe(0);
  });

  it('follows synchronize (new head) and edited (new title)', async () => {
    const { product, pull } = await storyWorld();
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    const newHead = sha('new head');
    expect((await deliver(app, 'pull_request', pullRequestPayload('synchronize', { ...pull, headSha: newHead, updatedAt: '2019-05-15T15:20:50Z' }))).status).toBe(200);
    expect(await record(product.id, pull.number)).toMatchObject({ head_sha: newHead, state: 'OPEN' });
    expect((await deliver(app, 'pull_request', pullRequestPayload('edited', { ...pull, headSha: newHead, updatedAt: '2019-05-15T15:21:00Z' }))).status).toBe(200);
    expect(await record(product.id, pull.number)).toMatchObject({ title: 'Update the README with new information (edited)', head_sha: newHead });
  });

  it('closes and reopens', async () => {
    const { product, pull } = await storyWorld();
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    await deliver(app, 'pull_request', pullRequestPayload('closed', pull));
    expect(await record(product.id, pull.number)).toMatchObject({ state: 'CLOSED', closed_at: new Date('2019-05-15T15:21:18Z'), merged_at: null });
    await deliver(app, 'pull_request', pullRequestPayload('reopened', { ...pull, updatedAt: '2019-05-15T15:30:00Z' }));
    expect(await record(product.id, pull.number)).toMatchObject({ state: 'OPEN' });
  });
});

describe('duplicates and order', () => {
  it('processes a delivery id once, also when GitHub sends it again later', async () => {
    const { product, pull } = await storyWorld();
    const before = await deliveriesMetric('pull_request.closed', 'duplicate');
    const closed = await deliver(app, 'pull_request', pullRequestPayload('closed', pull));
    expect(closed.status).toBe(200);
    // the PR is reopened later; then GitHub redelivers the old close
    await deliver(app, 'pull_request', pullRequestPayload('reopened', { ...pull, updatedAt: '2019-05-15T15:30:00Z' }));
    const again = await deliver(app, 'pull_request', pullRequestPayload('closed', pull), { id: closed.id });
    expect(again.status).toBe(200);
    expect(await record(product.id, pull.number)).toMatchObject({ state: 'OPEN' });
    expect(await deliveriesMetric('pull_request.closed', 'duplicate')).toBe(before + 1);
    expect(await app.db.prisma.webhookDelivery.count({ where: { id: closed.id } })).toBe(1);
  });

  it('processes concurrent copies of one delivery once', async () => {
    const { product, pull } = await storyWorld();
    const before = await deliveriesMetric('pull_request.opened', 'duplicate');
    const payload = pullRequestPayload('opened', pull);
    const answers = await Promise.all(Array.from({ length: 8 }, () => deliver(app, 'pull_request', payload, { id: `same-delivery-${pull.number}` })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(await deliveriesMetric('pull_request.opened', 'duplicate')).toBe(before + 7);
    expect(await app.db.prisma.pullRequest.count({ where: { product_id: product.id } })).toBe(1);
  });

  it('a late opened after closed never reopens the PR', async () => {
    const { product, pull } = await storyWorld();
    await deliver(app, 'pull_request', pullRequestPayload('closed', pull));
    const late = await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    expect(late.status).toBe(200);
    expect(await record(product.id, pull.number)).toMatchObject({ state: 'CLOSED', github_updated_at: new Date('2019-05-15T15:21:18Z') });
  });

  it('a late opened or synchronize never un-merges a PR', async () => {
    const { product, pull } = await storyWorld();
    const mocks = mergeShapeMocks(product.repo, pull.number, 'squash');
    await deliver(app, 'pull_request', pullRequestPayload('closed.merged', { ...pull, mergeCommitSha: mocks.mergeCommitSha }));
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    await deliver(app, 'pull_request', pullRequestPayload('synchronize', { ...pull, headSha: sha('late push'), updatedAt: '2019-05-15T15:25:00Z' }));
    expect(await record(product.id, pull.number)).toMatchObject({ state: 'MERGED', head_sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821' });
    await waitFor(async () => (await record(product.id, pull.number))?.merge_method, 'the merge method');
  });

  it('a merge arriving before its opened still yields one merged record', async () => {
    const { product, pull } = await storyWorld();
    const mocks = mergeShapeMocks(product.repo, pull.number, 'merge');
    await Promise.all([
      deliver(app, 'pull_request', pullRequestPayload('closed.merged', { ...pull, mergeCommitSha: mocks.mergeCommitSha })),
      deliver(app, 'pull_request', pullRequestPayload('opened', pull)),
    ]);
    expect(await app.db.prisma.pullRequest.count({ where: { product_id: product.id } })).toBe(1);
    expect((await record(product.id, pull.number))!.state).toBe('MERGED');
    await waitFor(async () => (await record(product.id, pull.number))?.merge_method, 'the merge method');
  });
});

// ---- merged PRs: how they were merged, read from the merge commit after answering ----

const author = (name: string, second: number) => ({ name, email: `${name}@example.com`, date: new Date(Date.UTC(2019, 4, 15, 15, 0, second)).toISOString() });

/**
 * GitHub's answers for a PR of three commits merged one of three ways after the
 * base moved on to `baseTip`; returns the merge commit and the expected parent.
 */
function mergeShapeMocks(repo: string, number: number, method: 'merge' | 'squash' | 'rebase', options: { delayMs?: number } = {}) {
  const baseTip = sha(`${repo} base tip`);
  const prCommits: FakeCommit[] = [1, 2, 3].map((i) => ({
    sha: sha(`${repo} pr ${i}`),
    parents: [i === 1 ? sha(`${repo} branch point`) : sha(`${repo} pr ${i - 1}`)],
    message: `step ${i}\n`,
    author: author('agent', i),
  }));
  const scope = mockInstallationToken(installationId);
  let mergeCommit: FakeCommit;
  const walk: FakeCommit[] = [];
  if (method === 'merge') {
    mergeCommit = { sha: sha(`${repo} merge`), parents: [baseTip, prCommits[2]!.sha], message: `Merge pull request #${number}\n`, author: author('reviewer', 50) };
  } else if (method === 'squash') {
    mergeCommit = { sha: sha(`${repo} squash`), parents: [baseTip], message: `Story (#${number})\n\n* step 1\n* step 2\n* step 3\n`, author: author('reviewer', 50) };
  } else {
    // the PR's commits replayed on the base tip: same message and author, new shas
    let parent = baseTip;
    for (const commit of prCommits) {
      const copy = { ...commit, sha: sha(`${repo} rebased ${commit.sha}`), parents: [parent] };
      walk.push(copy);
      parent = copy.sha;
    }
    mergeCommit = walk.at(-1)!;
  }
  const get = (commit: FakeCommit) =>
    scope
      .get(`/repos/${repo}/git/commits/${commit.sha}`)
      .delay(options.delayMs ?? 0)
      .reply(200, gitCommitResponse(commit, repo));
  get(mergeCommit);
  if (method !== 'merge') scope.get(`/repos/${repo}/pulls/${number}/commits`).query({ per_page: '100' }).reply(200, prCommits.map((c) => pullCommitResponse(c, repo)));
  if (method === 'rebase') for (const commit of walk.slice(0, -1).reverse()) get(commit);
  return { scope, mergeCommitSha: mergeCommit.sha, parentSha: baseTip };
}

describe('merged pull requests', () => {
  it.each([
    ['merge', 'MERGE'],
    ['squash', 'SQUASH'],
    ['rebase', 'REBASE'],
  ] as const)('a PR merged by %s records merge_method %s and the base it landed on', async (method, expected) => {
    const { product, story, pull } = await storyWorld();
    const mocks = mergeShapeMocks(product.repo, pull.number, method);
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull));
    const merged = await deliver(app, 'pull_request', pullRequestPayload('closed.merged', { ...pull, mergeCommitSha: mocks.mergeCommitSha, commits: 3 }));
    expect(merged.status).toBe(200);
    const pr = await waitFor(async () => {
      const current = await record(product.id, pull.number);
      return current?.merge_method ? current : null;
    }, 'the merge method');
    expect(pr).toMatchObject({
      story_id: story.id,
      state: 'MERGED',
      merged_at: new Date('2019-05-15T15:21:18Z'),
      merge_commit_sha: mocks.mergeCommitSha,
      merge_method: expected,
      merge_parent_sha: mocks.parentSha,
    });
    expect(mocks.scope.pendingMocks().filter((m) => !m.includes('access_tokens'))).toEqual([]);
  });

  it('answers GitHub at once while the merge commit read is slow, and records the method afterwards', async () => {
    const { product, pull } = await storyWorld();
    const mocks = mergeShapeMocks(product.repo, pull.number, 'merge', { delayMs: 3000 });
    const merged = await deliver(app, 'pull_request', pullRequestPayload('closed.merged', { ...pull, mergeCommitSha: mocks.mergeCommitSha }));
    expect(merged.status).toBe(200);
    expect(merged.ms).toBeLessThan(1000);
    expect((await record(product.id, pull.number))!.merge_method).toBeNull();
    const pr = await waitFor(async () => {
      const current = await record(product.id, pull.number);
      return current?.merge_method ? current : null;
    }, 'the merge method', 10_000);
    expect(pr.merge_method).toBe('MERGE');
  });

  it('reads the merge commit once: a redelivered merge and a second lookup job read nothing more', async () => {
    const { product, pull } = await storyWorld();
    const mocks = mergeShapeMocks(product.repo, pull.number, 'squash');
    const payload = pullRequestPayload('closed.merged', { ...pull, mergeCommitSha: mocks.mergeCommitSha });
    await deliver(app, 'pull_request', payload);
    await waitFor(async () => (await record(product.id, pull.number))?.merge_method, 'the merge method');
    expect(mocks.scope.isDone()).toBe(true);
    const { id } = (await record(product.id, pull.number))!;
    const lookupJobs = async () =>
      (await app.db.pool.query('SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = $1', [mergeMethodJobKey(id)])).rows[0].n as number;
    await waitFor(async () => (await lookupJobs()) === 0, 'the lookup job to finish', 30_000);

    // from here on every GitHub call is counted: the merge commit and the PR's commits would be
    // answered again (so a second read succeeds and is seen); anything else is unexpected
    const reads: string[] = [];
    const unexpected: string[] = [];
    const onNoMatch = (req: { method?: string; path?: string; hostname?: string; host?: string }) => {
      // the test's own deliveries to the app pass by nock too: only GitHub's host counts
      if ((req.hostname ?? req.host ?? '').includes('github.com')) unexpected.push(`${req.method} ${req.path}`);
    };
    nock.emitter.on('no match', onNoMatch);
    try {
      const again = mergeShapeMocks(product.repo, pull.number, 'squash');
      again.scope.on('request', (req: { path: string }) => {
        if (!req.path.includes('/access_tokens')) reads.push(req.path);
      });

      // a second delivery of the same merge (new id: GitHub's manual redeliver keeps the id, a retry by a proxy may not)
      await deliver(app, 'pull_request', payload);
      expect(await lookupJobs()).toBe(0);
      // a second lookup of the same PR (as a reconcile or a lost race would queue it) finds the method known
      await enqueueBackground(app.db.prisma, mergeMethodTask, { pull_request_id: id }, { jobKey: mergeMethodJobKey(id), maxAttempts: 1 });
      await waitFor(async () => (await lookupJobs()) === 0, 'the second lookup job to finish', 30_000);
      expect(reads).toEqual([]);
      expect(unexpected).toEqual([]);
    } finally {
      nock.emitter.removeListener('no match', onNoMatch);
    }
    expect((await record(product.id, pull.number))!.merge_method).toBe('SQUASH');
  });
});
