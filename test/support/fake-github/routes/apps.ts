// App and installation endpoints: installation tokens (recorded, scoped as asked), installations, repositories.
import { HttpError, notFound, requireRepo, route, type Route, type RouteContext } from '../router.ts';
import { paginate } from '../pagination.ts';
import { APP_PERMISSIONS, installationJson, repositoryJson, userJson } from '../shapes/accounts.ts';
import type { InstallationToken, Shape } from '../github-types.ts';
import type { RepoRecord } from '../state.ts';

function installationOf(ctx: RouteContext) {
  const installation = ctx.state.installations.get(Number(ctx.params.installation_id));
  if (!installation) throw notFound();
  return installation;
}

/** The repositories a request's token may see: all of the installation's, or the ones it was scoped to. */
function visibleRepos(ctx: RouteContext): RepoRecord[] {
  const issued = ctx.token ? ctx.state.tokens.get(ctx.token) : undefined;
  const all = [...ctx.state.repos.values()];
  if (!issued) return all;
  return all.filter(
    (repo) =>
      repo.installationId === issued.installationId &&
      (issued.repositories === null || issued.repositories.includes(repo.name.toLowerCase())),
  );
}

export const appRoutes: Route[] = [
  route('GET', '/app', (ctx) => ({
    status: 200,
    body: {
      id: ctx.state.app.id,
      slug: ctx.state.app.slug,
      name: ctx.state.app.name,
      owner: userJson(ctx.urls, ctx.state.app.owner),
      html_url: `${ctx.urls.html}/apps/${ctx.state.app.slug}`,
      permissions: { ...APP_PERMISSIONS },
      events: ['pull_request', 'check_run', 'installation', 'installation_repositories'],
    },
  })),

  // The app webhook's delivery log: the fake sends webhooks only through onEvent, so
  // GitHub's log of them is empty, and nothing can be redelivered (healer tests use nock).
  route('GET', '/app/hook/deliveries', () => ({ status: 200, body: [] })),
  route('POST', '/app/hook/deliveries/{delivery_id}/attempts', () => {
    throw notFound();
  }),

  route('GET', '/app/installations', (ctx) => {
    const page = paginate(ctx, [...ctx.state.installations.values()]);
    return {
      status: 200,
      body: page.items.map((installation) => installationJson(ctx.urls, ctx.state, installation)),
      headers: page.headers,
    };
  }),

  route('GET', '/app/installations/{installation_id}', (ctx) => ({
    status: 200,
    body: installationJson(ctx.urls, ctx.state, installationOf(ctx)),
  })),

  route('POST', '/app/installations/{installation_id}/access_tokens', (ctx) => {
    const installation = installationOf(ctx);
    const own = [...ctx.state.repos.values()].filter((repo) => repo.installationId === installation.id);
    const names = ctx.body.repositories;
    const ids = ctx.body.repository_ids;
    let scoped: RepoRecord[] | null = null;
    if (Array.isArray(names) || Array.isArray(ids)) {
      const wantedNames = Array.isArray(names) ? names.map((name) => String(name).toLowerCase()) : [];
      const wantedIds = Array.isArray(ids) ? ids.map(Number) : [];
      scoped = own.filter((repo) => wantedNames.includes(repo.name.toLowerCase()) || wantedIds.includes(repo.id));
      if (scoped.length !== wantedNames.length + wantedIds.length) {
        throw new HttpError(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
      }
    }
    const permissions =
      typeof ctx.body.permissions === 'object' && ctx.body.permissions !== null
        ? (ctx.body.permissions as Record<string, string>)
        : { ...APP_PERMISSIONS };
    const token = `ghs_fake${ctx.state.newId()}`;
    // Real time, not the fake clock: token caches compare it with the wall clock.
    const expiresAt = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    ctx.state.tokens.set(token, {
      token,
      installationId: installation.id,
      request: ctx.body,
      repositories: scoped?.map((repo) => repo.name.toLowerCase()) ?? null,
      permissions,
      expiresAt,
    });
    const body: Shape<InstallationToken> = {
      token,
      expires_at: expiresAt,
      permissions,
      repository_selection: scoped ? 'selected' : 'all',
      ...(scoped ? { repositories: scoped.map((repo) => repositoryJson(ctx.urls, repo)) } : {}),
    };
    return { status: 201, body };
  }),

  route('GET', '/installation/repositories', (ctx) => {
    const repos = visibleRepos(ctx);
    const page = paginate(ctx, repos);
    return {
      status: 200,
      body: {
        total_count: repos.length,
        repository_selection: ctx.token && ctx.state.tokens.get(ctx.token)?.repositories ? 'selected' : 'all',
        repositories: page.items.map((repo) => repositoryJson(ctx.urls, repo)),
      },
      headers: page.headers,
    };
  }),

  route('GET', '/repos/{owner}/{repo}/installation', (ctx) => {
    const repo = requireRepo(ctx);
    const installation = ctx.state.installations.get(repo.installationId);
    if (!installation) throw notFound();
    return { status: 200, body: installationJson(ctx.urls, ctx.state, installation) };
  }),

  route('GET', '/repos/{owner}/{repo}', (ctx) => ({
    status: 200,
    body: { ...repositoryJson(ctx.urls, requireRepo(ctx)), permissions: { admin: false, maintain: false, push: true, triage: true, pull: true } },
  })),
];
