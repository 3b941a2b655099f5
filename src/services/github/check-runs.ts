// The GitHub calls of the story check run, named for what they do. A lost
// answer to a create must never make a second run on the sha: the create is
// not retried blind (Octokit would POST again), and a run we have no record of
// is looked up by its external_id before one is created.
import type { Octokit } from './access.ts';

export const checkRunName = 'Scrum4Me';

type Repo = { owner: string; repo: string };
/** What a check run says (status, conclusion, output…): GitHub's own request type. */
export type CheckRunFields = Omit<Parameters<Octokit['rest']['checks']['create']>[0] & object, 'owner' | 'repo' | 'name' | 'head_sha' | 'external_id'>;

/** What ties a run on GitHub to one story and head sha. */
export const checkRunExternalId = (storyId: string, headSha: string) => `scrum4me:${storyId}:${headSha}`;

/**
 * Our run for this story on this sha, if GitHub has one (the newest):
 * GET /repos/{o}/{r}/commits/{sha}/check-runs?check_name=Scrum4Me&filter=all (1 call;
 * `all`, not `latest`, so a newer run of the same name by another app cannot hide ours).
 */
export async function findCheckRun(octokit: Octokit, repo: Repo, headSha: string, externalId: string): Promise<{ id: number } | null> {
  const { data } = await octokit.rest.checks.listForRef({ ...repo, ref: headSha, check_name: checkRunName, filter: 'all', per_page: 100 });
  const ours = data.check_runs.filter((run) => run.external_id === externalId).sort((a, b) => b.id - a.id)[0];
  return ours ? { id: ours.id } : null;
}

/** POST /repos/{o}/{r}/check-runs, once: a lost answer is found by findCheckRun on the next try. */
export async function createCheckRun(octokit: Octokit, repo: Repo, headSha: string, externalId: string, fields: CheckRunFields): Promise<{ id: number }> {
  const { data } = await octokit.rest.checks.create({ ...repo, name: checkRunName, head_sha: headSha, external_id: externalId, ...fields, request: { retries: 0 } });
  return { id: data.id };
}

/** PATCH /repos/{o}/{r}/check-runs/{id} (idempotent: retried as usual). */
export async function updateCheckRun(octokit: Octokit, repo: Repo, checkRunId: number, fields: CheckRunFields): Promise<void> {
  await octokit.rest.checks.update({ ...repo, check_run_id: checkRunId, ...fields });
}

/**
 * The story's run on `headSha` says `fields` now: PATCH the run we know of
 * (`knownId`), else look ours up (a creation whose answer was lost) and PATCH it,
 * else POST a new one. Calls: 1 (known), 2 (found or created).
 */
export async function upsertCheckRun(
  octokit: Octokit,
  repo: Repo,
  run: { headSha: string; externalId: string; knownId: number | null },
  fields: CheckRunFields,
): Promise<{ id: number; created: boolean }> {
  const id = run.knownId ?? (await findCheckRun(octokit, repo, run.headSha, run.externalId))?.id;
  if (id !== undefined) {
    await updateCheckRun(octokit, repo, id, fields);
    return { id, created: false };
  }
  return { ...(await createCheckRun(octokit, repo, run.headSha, run.externalId, fields)), created: true };
}
