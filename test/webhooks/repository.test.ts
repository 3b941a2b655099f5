// A repository is its GitHub id (SPEC §6): after a rename or a transfer the
// product answers the new name and the app calls GitHub by it, PRs keep linking
// to their stories, and a different repository that takes the old name never
// touches the product. On the git-backed fake GitHub, whose old names stop
// resolving here (as when GitHub's redirect is gone or the name was taken), so
// a call by the old name fails.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeWebhookEvent } from '../support/fake-github/index.ts';
import { startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';
import { deliver, webhookFixture, type Payload } from './support.ts';

let world: CascadeWorld;
let counter = 0;

beforeAll(async () => {
  world = await startCascadeWorld('acme/rename-first');
  // every pull_request event the fake emits goes to the app, as GitHub would send it
  world.fake.onEvent((event) => forwarded.push(forward(event)));
});
afterAll(async () => {
  await world?.close();
});
afterEach(async () => {
  await delivered();
});

let forwarded: Promise<unknown>[] = [];
const forward = async (event: FakeWebhookEvent) => expect((await deliver(world.app, event.name, event.payload)).status).toBe(200);
async function delivered() {
  const sent = forwarded;
  forwarded = [];
  await Promise.all(sent);
}

/** A product of its own on the world's fake GitHub, with one PBI of two stories. */
async function productWorld(name: string) {
  const repo = `acme/${name}-${++counter}`;
  world.fake.createRepo(repo, { files: { 'README.md': `${name}\n` } });
  const created = await world.app.call('POST', '/api/v1/admin/products', { body: { name, repo } });
  expect(created.status).toBe(201);
  const backlog = await world.app.call('POST', `/api/v1/admin/products/${created.body.id}/backlog`, {
    body: { pbis: [{ title: 'PBI', stories: [{ code: 'A', title: 'first', tasks: [{ title: 'one' }] }, { code: 'B', title: 'second', tasks: [{ title: 'two' }] }] }] },
  });
  expect(backlog.status).toBe(201);
  const pbi = backlog.body.pbis[0] as { id: string; stories: { id: string; branch: string; tasks: { id: string }[] }[] };
  return { repo, productId: created.body.id as string, pbi, repoId: world.fake.repoId(repo) };
}

const product = (id: string) => world.app.db.prisma.product.findUniqueOrThrow({ where: { id } });
const pullRecord = (productId: string, number: number) => world.app.db.prisma.pullRequest.findUnique({ where: { product_id_number: { product_id: productId, number } } });

/** A job claimed for the task: the claim's answer. */
async function claim(taskId: string) {
  const queued = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [taskId], priority: 1000 + ++counter } });
  expect(queued.status).toBe(201);
  const claimed = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
  expect(claimed.status).toBe(200);
  expect(claimed.body.job.task.id).toBe(taskId);
  return claimed.body.job as { id: string; branch: string; product: { repo: string } };
}

/** Push to the branch by the repository's current name, verify, report done: the push check reads GitHub. */
async function pushAndFinish(repo: string, job: { id: string; branch: string }) {
  world.fake.commitToBranch(repo, job.branch, { [`${job.id}.txt`]: 'work\n' }, `work of ${job.id}`);
  expect((await world.app.call('POST', `/api/v1/jobs/${job.id}/verify`, { token: world.agentToken, body: {} })).status).toBe(200);
  const done = await world.app.call('POST', `/api/v1/jobs/${job.id}/status`, { token: world.agentToken, body: { status: 'done', summary: 'did it' } });
  expect(done.status).toBe(200);
  return done.body as { status: string; pr_url: string | null };
}

const callsTo = (fragment: string) => world.fake.calls.filter((call) => call.path.includes(fragment));

describe('repository.renamed', () => {
  it('the product answers the new name, the app calls GitHub by it, and PRs opened after link to their stories', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('before');
    const renamed = world.fake.renameRepo(repo, `after-${counter}`, { redirectOldName: false });
    const newRepo = renamed.fullName;
    world.fake.clearCalls();

    const sent = await deliver(world.app, 'repository', renamed.webhook.payload);
    expect(sent.status).toBe(200);
    expect(world.fake.calls).toEqual([]); // the event itself needs no GitHub call

    // the operator API
    const shown = await world.app.call('GET', `/api/v1/admin/products/${productId}`);
    expect(shown.body.repo).toBe(newRepo);
    expect((await world.app.call('GET', '/api/v1/admin/products')).body.products.find((p: { id: string }) => p.id === productId).repo).toBe(newRepo);
    expect(await product(productId)).toMatchObject({ repo: newRepo, repo_key: newRepo.toLowerCase(), github_repo_id: BigInt(repoId) });

    // the claim's answer, and the push token scoped by the new name
    const job = await claim(pbi.stories[0]!.tasks[0]!.id);
    expect(job.product.repo).toBe(newRepo);
    const token = await world.app.call('POST', `/api/v1/jobs/${job.id}/git-token`, { token: world.agentToken });
    expect(token.status).toBe(200);
    expect(token.body.repository).toBe(newRepo);
    expect(world.fake.tokens().at(-1)!.request).toEqual({ repositories: [newRepo.split('/')[1]], permissions: { contents: 'write' } });

    // the push check reads the new name: the job is done, and its story PR opened there
    const done = await pushAndFinish(newRepo, job);
    expect(done.status).toBe('done');
    const compares = callsTo('/compare/');
    expect(compares.length).toBeGreaterThan(0);
    expect(compares.every((call) => call.path.includes(`/repos/${newRepo}/compare/`))).toBe(true);
    const first = await until('the story PR', async () => (await world.app.db.prisma.pullRequest.findFirst({ where: { story_id: pbi.stories[0]!.id } })) ?? undefined);
    expect(callsTo(`/repos/${repo}/`)).toEqual([]);
    await delivered();

    // a person opens the second story's PR on the renamed repository: it links by id
    world.fake.commitToBranch(newRepo, pbi.stories[1]!.branch, { 'b.txt': 'b\n' }, 'by hand');
    const number = world.fake.openPull(newRepo, { head: pbi.stories[1]!.branch, title: 'by hand' });
    await delivered();
    expect(await pullRecord(productId, number)).toMatchObject({
      story_id: pbi.stories[1]!.id,
      repo: newRepo,
      repo_id: BigInt(repoId),
      head_repo: newRepo,
      head_repo_id: BigInt(repoId),
      html_url: expect.stringContaining(`/${newRepo}/pull/${number}`),
    });
    expect(await pullRecord(productId, first.number)).toMatchObject({ repo: newRepo, repo_id: BigInt(repoId) });

    // the PBI view shows the PRs under the new name
    const view = await world.app.call('GET', `/api/v1/admin/pbis/${pbi.id}`);
    expect(view.status).toBe(200);
    for (const story of view.body.stories) expect(story.pull_request.url).toContain(`/${newRepo}/pull/`);
  });

  it('carries the rename into the PR records and job PR URLs held under the old name; a redelivery changes nothing', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('held');
    const job = await claim(pbi.stories[0]!.tasks[0]!.id);
    const done = await pushAndFinish(repo, job);
    expect(done.pr_url).toContain(`/${repo}/pull/`);
    await until('the story PR record', async () => (await world.app.db.prisma.pullRequest.findFirst({ where: { story_id: pbi.stories[0]!.id } })) ?? undefined);
    await delivered();

    const renamed = world.fake.renameRepo(repo, `held-renamed-${counter}`, { redirectOldName: false });
    const sent = await deliver(world.app, 'repository', renamed.webhook.payload);
    expect(sent.status).toBe(200);
    const record = (await world.app.db.prisma.pullRequest.findFirst({ where: { story_id: pbi.stories[0]!.id } }))!;
    expect(record).toMatchObject({ repo: renamed.fullName, head_repo: renamed.fullName, html_url: expect.stringContaining(`/${renamed.fullName}/pull/${record.number}`) });
    const jobRow = await world.app.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(jobRow.pr_url).toBe(record.html_url);
    expect((await world.app.call('GET', `/api/v1/admin/pbis/${pbi.id}`)).body.stories[0].tasks[0].jobs[0].pr_url).toBe(record.html_url);

    // the same delivery again, and a later rename's delivery: each applies once, in order
    expect((await deliver(world.app, 'repository', renamed.webhook.payload, { id: sent.id })).status).toBe(200);
    expect((await product(productId)).repo).toBe(renamed.fullName);
    expect(await world.app.db.prisma.webhookDelivery.count({ where: { id: sent.id } })).toBe(1);
    const again = world.fake.renameRepo(renamed.fullName, `held-again-${counter}`, { redirectOldName: false });
    expect((await deliver(world.app, 'repository', again.webhook.payload)).status).toBe(200);
    expect(await product(productId)).toMatchObject({ repo: again.fullName, github_repo_id: BigInt(repoId) });
  });

  it('a missed rename: PRs still link by id, and the reconcile reads teach the product its new name', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('missed');
    const renamed = world.fake.renameRepo(repo, `missed-renamed-${counter}`); // no webhook delivered; the old name redirects
    world.fake.commitToBranch(renamed.fullName, pbi.stories[0]!.branch, { 'a.txt': 'a\n' }, 'by hand');
    const number = world.fake.openPull(renamed.fullName, { head: pbi.stories[0]!.branch, title: 'by hand' });
    await delivered();
    expect(await pullRecord(productId, number)).toMatchObject({ story_id: pbi.stories[0]!.id, repo_id: BigInt(repoId) });

    const reconciled = await world.app.call('POST', `/api/v1/admin/products/${productId}/reconcile`);
    expect(reconciled.status).toBe(200);
    expect(await product(productId)).toMatchObject({ repo: renamed.fullName, github_repo_id: BigInt(repoId) });
    expect(await pullRecord(productId, number)).toMatchObject({ repo: renamed.fullName });
  });
});

describe('repository.transferred', () => {
  it('moves the product to the new owner and installation: answers and calls use the new name', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('moving');
    const before = await product(productId);
    const moved = world.fake.transferRepo(repo, `globex${counter}`);
    expect(moved.installationId).not.toBe(moved.oldInstallationId);
    for (const webhook of moved.webhooks) expect((await deliver(world.app, webhook.name, webhook.payload)).status).toBe(200);

    expect(await product(productId)).toMatchObject({
      repo: moved.fullName,
      github_repo_id: BigInt(repoId),
      installation_id: BigInt(moved.installationId),
      repo_removed_at: null,
    });
    expect(before.installation_id).toBe(BigInt(moved.oldInstallationId));
    expect((await world.app.call('GET', `/api/v1/admin/products/${productId}`)).body).toMatchObject({ repo: moved.fullName, installation_id: String(moved.installationId) });

    world.fake.clearCalls();
    const job = await claim(pbi.stories[0]!.tasks[0]!.id);
    expect(job.product.repo).toBe(moved.fullName);
    expect((await world.app.call('POST', `/api/v1/jobs/${job.id}/git-token`, { token: world.agentToken })).status).toBe(200);
    const issued = world.fake.tokens().at(-1)!;
    expect(issued).toMatchObject({ installationId: moved.installationId, request: { repositories: [moved.fullName.split('/')[1]], permissions: { contents: 'write' } } });
    const done = await pushAndFinish(moved.fullName, job);
    expect(done.status).toBe('done');
    const compares = callsTo('/compare/');
    expect(compares.length).toBeGreaterThan(0);
    expect(compares.every((call) => call.path.includes(`/repos/${moved.fullName}/compare/`))).toBe(true);
    expect(callsTo(`/repos/${repo}/`)).toEqual([]);
  });
});

describe('a different repository under the old name', () => {
  it('a new repository that takes the old name never touches the product: not its PRs, renames or removal', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('taken');
    const renamed = world.fake.renameRepo(repo, `taken-renamed-${counter}`, { redirectOldName: false });
    expect((await deliver(world.app, 'repository', renamed.webhook.payload)).status).toBe(200);
    // someone creates a new repository under the old name, with a branch named like the product's story branch
    world.fake.createRepo(repo, { files: { 'README.md': 'other\n' } });
    const otherId = world.fake.repoId(repo);
    expect(otherId).not.toBe(repoId);
    world.fake.commitToBranch(repo, pbi.stories[0]!.branch, { 'x.txt': 'x\n' }, 'look-alike');
    const number = world.fake.openPull(repo, { head: pbi.stories[0]!.branch, title: 'look-alike' });
    await delivered();
    expect(await pullRecord(productId, number)).toBeNull();

    // its own rename, and its removal from the installation
    const otherRenamed = world.fake.renameRepo(repo, `other-${counter}`);
    expect((await deliver(world.app, 'repository', otherRenamed.webhook.payload)).status).toBe(200);
    const removed = webhookFixture('installation_repositories.removed');
    const installationId = Number((await product(productId)).installation_id);
    removed.installation = { ...removed.installation, id: installationId };
    removed.repositories_removed = [{ id: otherId, node_id: 'R_other', name: repo.split('/')[1], full_name: repo, private: false }];
    expect((await deliver(world.app, 'installation_repositories', removed)).status).toBe(200);

    expect(await product(productId)).toMatchObject({ repo: renamed.fullName, github_repo_id: BigInt(repoId), repo_removed_at: null, installation_id: BigInt(installationId) });
    expect(await world.app.db.prisma.pullRequest.count({ where: { product_id: productId } })).toBe(0);
  });

  it('without the rename delivered, a repository under the product\'s name with another id does not mark or link it', async () => {
    const { repo, productId, pbi, repoId } = await productWorld('unseen');
    world.fake.renameRepo(repo, `unseen-renamed-${counter}`, { redirectOldName: false }); // webhook lost
    world.fake.createRepo(repo, { files: { 'README.md': 'other\n' } });
    const otherId = world.fake.repoId(repo);
    world.fake.commitToBranch(repo, pbi.stories[0]!.branch, { 'x.txt': 'x\n' }, 'look-alike');
    const number = world.fake.openPull(repo, { head: pbi.stories[0]!.branch, title: 'look-alike' });
    await delivered();
    expect(await pullRecord(productId, number)).toBeNull();
    const removed = webhookFixture('installation_repositories.removed');
    removed.installation = { ...removed.installation, id: Number((await product(productId)).installation_id) };
    removed.repositories_removed = [{ id: otherId, node_id: 'R_other', name: repo.split('/')[1], full_name: repo, private: false }];
    expect((await deliver(world.app, 'installation_repositories', removed)).status).toBe(200);
    expect(await product(productId)).toMatchObject({ repo, github_repo_id: BigInt(repoId), repo_removed_at: null });
  });
});

// ---- payloads taken from @octokit/webhooks-examples (test/fixtures/webhooks), no GitHub calls ----

/** A product whose repository GitHub last described at `updatedAt`. */
async function storedProduct(repo: string, repoId: number, updatedAt: string) {
  const installation = await world.app.db.prisma.product.findUniqueOrThrow({ where: { id: world.productId } });
  return world.app.db.prisma.product.create({
    data: { name: repo, repo, repo_key: repo.toLowerCase(), github_repo_id: BigInt(repoId), repo_updated_at: new Date(updatedAt), base_branch: 'main', installation_id: installation.installation_id },
  });
}

function renamedPayload(from: string, to: string, repoId: number, updatedAt: string): Payload {
  const payload = webhookFixture('repository.renamed');
  const [owner, name] = to.split('/') as [string, string];
  payload.changes = { repository: { name: { from: from.split('/')[1] } } };
  payload.repository = { ...payload.repository, id: repoId, name, full_name: to, owner: { ...payload.repository.owner, login: owner }, updated_at: updatedAt };
  return payload;
}

/** A pull_request payload whose repository (base and head) is `repo` with this id and updated_at. */
function pullPayload(repo: string, repoId: number, updatedAt: string, headRef: string, number: number): Payload {
  const payload = webhookFixture('pull_request.opened');
  const [owner, name] = repo.split('/') as [string, string];
  const repository = { ...payload.repository, id: repoId, name, full_name: repo, owner: { ...payload.repository.owner, login: owner }, updated_at: updatedAt };
  payload.repository = repository;
  payload.number = number;
  payload.pull_request = {
    ...payload.pull_request,
    number,
    id: 800_000 + number,
    html_url: `https://github.com/${repo}/pull/${number}`,
    base: { ...payload.pull_request.base, repo: repository, ref: 'main' },
    head: { ...payload.pull_request.head, ref: headRef, repo: repository },
  };
  return payload;
}

describe('the order of names', () => {
  it('a late payload that still carries the old name never renames the product back; a newer one renames it', async () => {
    const repoId = 5_550_000 + ++counter;
    const stored = await storedProduct(`acme/order-old-${counter}`, repoId, '2024-02-01T10:00:00Z');
    const renamed = renamedPayload(stored.repo, `acme/order-new-${counter}`, repoId, '2024-02-01T12:00:00Z');
    expect((await deliver(world.app, 'repository', renamed)).status).toBe(200);
    expect((await product(stored.id)).repo).toBe(`acme/order-new-${counter}`);

    // a pull_request delivery from before the rename, redelivered late
    expect((await deliver(world.app, 'pull_request', pullPayload(stored.repo, repoId, '2024-02-01T11:00:00Z', 'feature', 1))).status).toBe(200);
    expect((await product(stored.id)).repo).toBe(`acme/order-new-${counter}`);
    // the same time as the rename: a payload needs a newer one
    expect((await deliver(world.app, 'pull_request', pullPayload(stored.repo, repoId, '2024-02-01T12:00:00Z', 'feature', 2))).status).toBe(200);
    expect((await product(stored.id)).repo).toBe(`acme/order-new-${counter}`);
    // a second rename we missed, told by a newer payload
    expect((await deliver(world.app, 'pull_request', pullPayload(`acme/order-third-${counter}`, repoId, '2024-02-01T13:00:00Z', 'feature', 3))).status).toBe(200);
    expect(await product(stored.id)).toMatchObject({ repo: `acme/order-third-${counter}`, repo_updated_at: new Date('2024-02-01T13:00:00Z') });
    // and the late rename event of the first rename, redelivered after it
    expect((await deliver(world.app, 'repository', renamed)).status).toBe(200);
    expect((await product(stored.id)).repo).toBe(`acme/order-third-${counter}`);
  });

  it('a product added before ids were kept learns its id from the first payload that names it, then matches by id only', async () => {
    const repoId = 5_560_000 + ++counter;
    const legacy = await world.app.db.prisma.product.create({
      data: { name: 'legacy', repo: `acme/legacy-${counter}`, repo_key: `acme/legacy-${counter}`, base_branch: 'main', installation_id: (await product(world.productId)).installation_id },
    });
    const renamed = renamedPayload(legacy.repo, `acme/legacy-new-${counter}`, repoId, '2024-03-01T10:00:00Z');
    expect((await deliver(world.app, 'repository', renamed)).status).toBe(200);
    expect(await product(legacy.id)).toMatchObject({ repo: `acme/legacy-new-${counter}`, github_repo_id: BigInt(repoId), repo_updated_at: new Date('2024-03-01T10:00:00Z') });
    // another repository under the old name is not it
    expect((await deliver(world.app, 'pull_request', pullPayload(legacy.repo, repoId + 1, '2024-03-01T11:00:00Z', 'feature', 1))).status).toBe(200);
    expect(await product(legacy.id)).toMatchObject({ repo: `acme/legacy-new-${counter}`, github_repo_id: BigInt(repoId) });
  });

  it('a rename onto a name another product still holds (its own rename missed) frees that name for the repository that has it now', async () => {
    const aId = 5_570_000 + ++counter;
    const a = await storedProduct(`acme/swap-a-${counter}`, aId, '2024-04-01T10:00:00Z');
    const b = await storedProduct(`acme/swap-b-${counter}`, aId + 1, '2024-04-01T10:00:00Z');
    // b's repository was renamed away (missed); a's repository takes b's old name
    expect((await deliver(world.app, 'repository', renamedPayload(a.repo, b.repo, aId, '2024-04-01T12:00:00Z'))).status).toBe(200);
    expect(await product(a.id)).toMatchObject({ repo: b.repo, repo_key: b.repo.toLowerCase() });
    const stale = await product(b.id);
    expect(stale.github_repo_id).toBe(BigInt(aId + 1));
    expect(stale.repo_key).not.toBe(b.repo.toLowerCase());
    // b learns its name from its own repository's news
    expect((await deliver(world.app, 'repository', renamedPayload(b.repo, `acme/swap-c-${counter}`, aId + 1, '2024-04-01T11:00:00Z'))).status).toBe(200);
    expect(await product(b.id)).toMatchObject({ repo: `acme/swap-c-${counter}`, repo_key: `acme/swap-c-${counter}` });
  });
});
