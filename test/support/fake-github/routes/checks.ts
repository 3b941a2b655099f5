// Checks API: create, update and read check runs, and list them for a ref.
import { resolveCommitish } from '../branches.ts';
import { objectType } from '../git/objects.ts';
import { paginate } from '../pagination.ts';
import { HttpError, notFound, optionalString, requireRepo, requireString, route, type Route, type RouteContext } from '../router.ts';
import { checkRunJson } from '../shapes/pulls.ts';
import type { CheckRunRecord, RepoRecord } from '../state.ts';

const STATUSES: ReadonlyArray<CheckRunRecord['status']> = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];

function requireCheckRun(ctx: RouteContext): { repo: RepoRecord; run: CheckRunRecord } {
  const repo = requireRepo(ctx);
  const run = repo.checkRuns.find((candidate) => candidate.id === Number(ctx.params.check_run_id));
  if (!run) throw notFound();
  return { repo, run };
}

/** Applies the writable fields of a create/update body; a conclusion completes the run, as on GitHub. */
function applyCheckRunFields(ctx: RouteContext, run: CheckRunRecord): void {
  const name = optionalString(ctx.body, 'name');
  const status = optionalString(ctx.body, 'status');
  const conclusion = optionalString(ctx.body, 'conclusion');
  const detailsUrl = optionalString(ctx.body, 'details_url');
  const externalId = optionalString(ctx.body, 'external_id');
  const startedAt = optionalString(ctx.body, 'started_at');
  const completedAt = optionalString(ctx.body, 'completed_at');
  if (status !== undefined && !STATUSES.includes(status as CheckRunRecord['status'])) {
    throw new HttpError(422, `Invalid request.\n\nFor 'properties/status', "${status}" is not a valid status.`);
  }
  if (name !== undefined) run.name = name;
  if (status !== undefined) run.status = status as CheckRunRecord['status'];
  if (detailsUrl !== undefined) run.detailsUrl = detailsUrl;
  if (externalId !== undefined) run.externalId = externalId;
  if (startedAt !== undefined) run.startedAt = startedAt;
  if (conclusion !== undefined) {
    run.conclusion = conclusion;
    run.status = 'completed';
  }
  if (run.status === 'completed') run.completedAt = completedAt ?? run.completedAt ?? ctx.state.now();
  else if (completedAt !== undefined) run.completedAt = completedAt;
  const output = ctx.body.output;
  if (typeof output === 'object' && output !== null) {
    const fields = output as Record<string, unknown>;
    run.output = {
      title: typeof fields.title === 'string' ? fields.title : run.output.title,
      summary: typeof fields.summary === 'string' ? fields.summary : run.output.summary,
      text: typeof fields.text === 'string' ? fields.text : run.output.text,
    };
  }
}

export const checkRoutes: Route[] = [
  route('POST', '/repos/{owner}/{repo}/check-runs', (ctx) => {
    const repo = requireRepo(ctx);
    const name = requireString(ctx.body, 'name');
    const headSha = requireString(ctx.body, 'head_sha');
    if (objectType(repo.gitDir, headSha) !== 'commit') throw new HttpError(422, `No commit found for SHA: ${headSha}`);
    const run: CheckRunRecord = {
      id: ctx.state.newId(),
      name,
      headSha,
      status: 'queued',
      conclusion: null,
      externalId: null,
      detailsUrl: null,
      startedAt: ctx.state.now(),
      completedAt: null,
      output: { title: null, summary: null, text: null },
    };
    applyCheckRunFields(ctx, run);
    repo.checkRuns.push(run);
    return { status: 201, body: checkRunJson(ctx.urls, ctx.state, repo, run) };
  }),

  route('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (ctx) => {
    const { repo, run } = requireCheckRun(ctx);
    applyCheckRunFields(ctx, run);
    return { status: 200, body: checkRunJson(ctx.urls, ctx.state, repo, run) };
  }),

  route('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (ctx) => {
    const { repo, run } = requireCheckRun(ctx);
    return { status: 200, body: checkRunJson(ctx.urls, ctx.state, repo, run) };
  }),

  route('GET', '/repos/{owner}/{repo}/commits/{ref*}/check-runs', (ctx) => {
    const repo = requireRepo(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref ?? '');
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref}`);
    const name = ctx.query.get('check_name');
    const status = ctx.query.get('status');
    let runs = repo.checkRuns
      .filter((run) => run.headSha === sha)
      .filter((run) => name === null || run.name === name)
      .filter((run) => status === null || run.status === status)
      .sort((a, b) => b.id - a.id);
    // `filter=latest` (the default) keeps the newest run of each name.
    if ((ctx.query.get('filter') ?? 'latest') === 'latest') {
      const seen = new Set<string>();
      runs = runs.filter((run) => !seen.has(run.name) && seen.add(run.name));
    }
    const page = paginate(ctx, runs);
    return {
      status: 200,
      headers: page.headers,
      body: { total_count: runs.length, check_runs: page.items.map((run) => checkRunJson(ctx.urls, ctx.state, repo, run)) },
    };
  }),
];
