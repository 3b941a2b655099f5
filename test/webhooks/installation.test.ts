// installation and installation_repositories webhooks bind products to their
// installation; losing the repository marks the product and GitHub work for it
// is refused with a reason instead of failing with 401s.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubAccessProblem, GitHubAccessLost } from '../../src/services/installations/github-access.ts';
import { reconcileProductPullRequests } from '../../src/services/pull-requests/reconcile.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { deliver, mockInstallationToken, repoId, webhookFixture, api, type Payload } from './support.ts';

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
const nextInstallationId = () => 70_000 + ++counter;

async function product(repo: string, installationId: number | null) {
  if (installationId !== null) {
    await app.db.prisma.installation.upsert({ where: { id: BigInt(installationId) }, create: { id: BigInt(installationId), account_login: repo.split('/')[0]! }, update: {} });
  }
  return app.db.prisma.product.create({
    data: { name: repo, repo, repo_key: repo.toLowerCase(), base_branch: 'main', installation_id: installationId === null ? null : BigInt(installationId) },
  });
}

const repoRef = (fullName: string) => ({ id: repoId(fullName), node_id: 'R_x', name: fullName.split('/')[1], full_name: fullName, private: false });

function installationPayload(action: 'created' | 'deleted' | 'suspend' | 'unsuspend', installationId: number, repos: string[] = []): Payload {
  const payload = webhookFixture(`installation.${action}`);
  payload.installation = { ...payload.installation, id: installationId, account: { ...payload.installation.account, login: 'acme' } };
  if (action === 'created' || action === 'deleted') payload.repositories = repos.map(repoRef);
  return payload;
}

function repositoriesPayload(action: 'added' | 'removed', installationId: number, repos: string[]): Payload {
  const payload = webhookFixture(`installation_repositories.${action}`);
  payload.installation = { ...payload.installation, id: installationId, account: { ...payload.installation.account, login: 'acme' } };
  payload.repositories_added = action === 'added' ? repos.map(repoRef) : [];
  payload.repositories_removed = action === 'removed' ? repos.map(repoRef) : [];
  return payload;
}

const reload = (id: string) => app.db.prisma.product.findUniqueOrThrow({ where: { id }, include: { installation: true } });

describe('installation', () => {
  it('created: stores the installation and binds the products of its repositories', async () => {
    const id = nextInstallationId();
    const bound = await product('acme/created-1', null);
    const other = await product('acme/not-listed', null);
    const sent = await deliver(app, 'installation', installationPayload('created', id, ['acme/created-1']));
    expect(sent.status).toBe(200);
    expect(await app.db.prisma.installation.findUnique({ where: { id: BigInt(id) } })).toMatchObject({ account_login: 'acme', suspended_at: null, deleted_at: null });
    expect(await reload(bound.id)).toMatchObject({ installation_id: BigInt(id), repo_removed_at: null });
    expect((await reload(other.id)).installation_id).toBeNull();
  });

  it('deleted: marks every product of the installation; GitHub work for them is refused with the reason, without calling GitHub', async () => {
    const id = nextInstallationId();
    const a = await product('acme/deleted-a', id);
    const b = await product('acme/deleted-b', id);
    expect((await deliver(app, 'installation', installationPayload('deleted', id, [a.repo, b.repo]))).status).toBe(200);
    for (const p of [a, b]) {
      const marked = await reload(p.id);
      expect(marked.repo_removed_at).toBeInstanceOf(Date);
      expect(marked.installation!.deleted_at).toBeInstanceOf(Date);
      expect(githubAccessProblem(marked)).toMatch(/^the Scrum4Me app was uninstalled from acme on \d{4}-\d\d-\d\d: reinstall it/);
    }
    // nock has no answers: a GitHub call would fail with a network error, not this
    const refused = reconcileProductPullRequests(app.services, a.id);
    await expect(refused).rejects.toBeInstanceOf(GitHubAccessLost);
    await expect(refused).rejects.toThrow(/uninstalled from acme/);
    const route = await app.call('POST', `/api/v1/admin/products/${a.id}/reconcile`);
    expect(route.status).toBe(422);
    expect(route.body.error).toEqual({ code: 'APP_NOT_INSTALLED', message: expect.stringMatching(/uninstalled from acme .* acme\/deleted-a/) });
  });

  it('suspend refuses GitHub work with the reason; unsuspend allows it again', async () => {
    const id = nextInstallationId();
    const p = await product('acme/suspended', id);
    expect((await deliver(app, 'installation', installationPayload('suspend', id))).status).toBe(200);
    expect((await reload(p.id)).installation!.suspended_at).toEqual(new Date('2021-04-29T02:32:50Z'));
    const refused = await app.call('POST', `/api/v1/admin/products/${p.id}/reconcile`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/installation on acme is suspended since 2021-04-29: unsuspend it/);

    expect((await deliver(app, 'installation', installationPayload('unsuspend', id))).status).toBe(200);
    expect((await reload(p.id)).installation!.suspended_at).toBeNull();
    mockInstallationToken(id);
    nock(api).get('/repos/acme/suspended/pulls').query({ state: 'open', per_page: '100' }).reply(200, []);
    const allowed = await app.call('POST', `/api/v1/admin/products/${p.id}/reconcile`);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ product_id: p.id, open_on_github: 0 });
  });

  it('processes a redelivered installation event once', async () => {
    const id = nextInstallationId();
    const p = await product('acme/redelivered', id);
    const removed = await deliver(app, 'installation_repositories', repositoriesPayload('removed', id, [p.repo]));
    const firstMark = (await reload(p.id)).repo_removed_at;
    await deliver(app, 'installation_repositories', repositoriesPayload('added', id, [p.repo]));
    // the old removal again, same delivery id: must not mark the product a second time
    expect((await deliver(app, 'installation_repositories', repositoriesPayload('removed', id, [p.repo]), { id: removed.id })).status).toBe(200);
    expect(firstMark).toBeInstanceOf(Date);
    expect((await reload(p.id)).repo_removed_at).toBeNull();
  });
});

describe('installation_repositories', () => {
  it('removed: marks only the removed repositories\' products; added: binds them again', async () => {
    const id = nextInstallationId();
    const kept = await product('acme/kept', id);
    const lost = await product('acme/lost', id);
    expect((await deliver(app, 'installation_repositories', repositoriesPayload('removed', id, [lost.repo]))).status).toBe(200);
    expect((await reload(kept.id)).repo_removed_at).toBeNull();
    const marked = await reload(lost.id);
    expect(marked.repo_removed_at).toBeInstanceOf(Date);
    expect(githubAccessProblem(marked)).toMatch(/lost access to acme\/lost on \d{4}-\d\d-\d\d: add the repository to the installation again/);
    const refused = await app.call('POST', `/api/v1/admin/products/${lost.id}/reconcile`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('APP_NOT_INSTALLED');

    expect((await deliver(app, 'installation_repositories', repositoriesPayload('added', id, [lost.repo]))).status).toBe(200);
    expect(await reload(lost.id)).toMatchObject({ repo_removed_at: null, installation_id: BigInt(id) });
  });

  it('added: moves a product to the installation that now reaches it (the app was reinstalled)', async () => {
    const oldId = nextInstallationId();
    const newId = nextInstallationId();
    const p = await product('acme/reinstalled', oldId);
    await deliver(app, 'installation', installationPayload('deleted', oldId, [p.repo]));
    expect((await reload(p.id)).repo_removed_at).toBeInstanceOf(Date);
    await deliver(app, 'installation_repositories', repositoriesPayload('added', newId, [p.repo]));
    expect(await reload(p.id)).toMatchObject({ installation_id: BigInt(newId), repo_removed_at: null });
    expect(githubAccessProblem(await reload(p.id))).toBeNull();
  });

  it('matches a renamed repository by its GitHub id', async () => {
    const id = nextInstallationId();
    const p = await product('acme/old-name', id);
    await app.db.prisma.product.update({ where: { id: p.id }, data: { github_repo_id: BigInt(repoId('acme/new-name')) } });
    await deliver(app, 'installation_repositories', repositoriesPayload('removed', id, ['acme/new-name']));
    expect((await reload(p.id)).repo_removed_at).toBeInstanceOf(Date);
  });

  it('a product that does not know its repository id learns it from the first event naming it; after that, the name alone never matches', async () => {
    const id = nextInstallationId();
    const p = await product('acme/learns-id', id);
    expect((await deliver(app, 'installation_repositories', repositoriesPayload('added', id, ['acme/learns-id']))).status).toBe(200);
    expect((await reload(p.id)).github_repo_id).toBe(BigInt(repoId('acme/learns-id')));
    // another repository under that name (a different id): not the product's
    const other = repositoriesPayload('removed', id, []);
    other.repositories_removed = [{ ...repoRef('acme/learns-id'), id: repoId('acme/learns-id') + 1 }];
    expect((await deliver(app, 'installation_repositories', other)).status).toBe(200);
    expect((await reload(p.id)).repo_removed_at).toBeNull();
  });

  it('added under a new name: a product matched by id takes it only while it holds no name time (the event carries none)', async () => {
    const id = nextInstallationId();
    const untimed = await product('acme/untimed-old', id);
    const timed = await product('acme/timed-old', id);
    await app.db.prisma.product.update({ where: { id: untimed.id }, data: { github_repo_id: BigInt(repoId('acme/untimed-new')) } });
    await app.db.prisma.product.update({
      where: { id: timed.id },
      data: { github_repo_id: BigInt(repoId('acme/timed-new')), repo_updated_at: new Date('2024-01-01T00:00:00Z') },
    });
    expect((await deliver(app, 'installation_repositories', repositoriesPayload('added', id, ['acme/untimed-new', 'acme/timed-new']))).status).toBe(200);
    expect(await reload(untimed.id)).toMatchObject({ repo: 'acme/untimed-new', repo_key: 'acme/untimed-new', installation_id: BigInt(id) });
    expect(await reload(timed.id)).toMatchObject({ repo: 'acme/timed-old', installation_id: BigInt(id) });
  });
});
