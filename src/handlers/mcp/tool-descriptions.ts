// What each MCP tool tells an agent: the protocol, as the seed's tool
// descriptions did (verify before done, what next_action means, discard work
// on JOB_CANCELLED, push with the git token). Models read these, so they say
// what to do next rather than how the server works.
import type { Config } from '../../config.ts';
import { summaryMinLength } from '../../services/jobs/status-rules.ts';

export type ToolName =
  | 'wait_for_job'
  | 'update_job_status'
  | 'verify_task_against_plan'
  | 'get_git_token'
  | 'update_idea_grill_md'
  | 'update_idea_plan_md'
  | 'get_job';

export const toolTitles: Record<ToolName, string> = {
  wait_for_job: 'Wait for the next job',
  update_job_status: 'Report job status',
  verify_task_against_plan: 'Verify the pushed branch against the plan',
  get_git_token: 'Get a token to push the story branch',
  update_idea_grill_md: 'Deliver the grill of an idea',
  update_idea_plan_md: 'Deliver the plan of an idea',
  get_job: 'Read a job',
};

const errors =
  'Errors come back as tool results with isError whose text starts with the code, e.g. "JOB_CANCELLED: …"; ' +
  'the structured content is the HTTP error body {error: {code, message, details?}}. ' +
  'GITHUB_UNAVAILABLE (GitHub kept failing) and UNAVAILABLE (the database is away) wrote nothing: ' +
  'wait retry_after_seconds (in the structured content) and call the same tool again.';

/** The git host agents push to: github.com, or the GitHub Enterprise Server the app talks to. */
export function gitHost(config: Pick<Config, 'github'>): string {
  const apiUrl = config.github.baseUrl;
  if (!apiUrl) return 'github.com';
  const host = new URL(apiUrl).host;
  return host === 'api.github.com' ? 'github.com' : host;
}

export function toolDescriptions(name: ToolName, config: Pick<Config, 'github' | 'claimTimeoutSeconds'>): string {
  const timeoutMinutes = Math.round(config.claimTimeoutSeconds / 60);
  switch (name) {
    case 'wait_for_job':
      return [
        'Claim the next job queued for your user. Waits up to wait_seconds (0-60, default 25) for one to be queued and returns as soon as one is;',
        'highest priority first, then oldest. kinds limits the kinds you take: task_implementation, idea_grill, idea_make_plan.',
        'Returns {job}: id, kind, product {repo "owner/name", base_branch}, pbi, story, branch (the story branch to push to; null for idea jobs)',
        'and either task {title, plan, plan_paths, verify_only, verify_required} or idea {title, body}.',
        'Returns {job: null} with "no job available" when nothing came in time: call wait_for_job again.',
        'The job is now claimed by your token: only this token can report on it.',
        'Task job: update_job_status running; implement the plan in your checkout on the story branch; get_git_token and push the branch;',
        'verify_task_against_plan; then update_job_status done (or failed).',
        'Idea job: update_job_status running; update_idea_grill_md or update_idea_plan_md; then update_job_status done.',
        `A claimed or running job with no status call for ${timeoutMinutes} minutes goes back to the queue and your token loses it.`,
        errors,
      ].join(' ');
    case 'update_job_status':
      return [
        'Report progress on a job you claimed: running (started), done (finished) or failed (give error).',
        'Only from claimed or running, only with the token that claimed it (else PERMISSION_DENIED); a finished job answers JOB_TERMINAL.',
        'JOB_CANCELLED means the PBI fail-cascade cancelled the job because a sibling task failed:',
        'discard your local changes (do not push, do not retry) and call wait_for_job for the next job.',
        'Before done on a task job call verify_task_against_plan; done is refused with VERIFY_GATE when there is no verify result,',
        'when it is empty (unless the task is verify_only), or when it is below the task\'s verify_required:',
        `aligned accepts only aligned; aligned_or_partial (the default) accepts partial and divergent with a summary of at least ${summaryMinLength} characters explaining the drift;`,
        'any accepts everything. Fix the work or the summary and call done again.',
        'On done the app reads the story branch on GitHub: commits ahead of the base → done with pushed_at and a pull request for the story',
        '(opened, or reused from a sibling task; pr_url, or null while it is made in the background: see get_job);',
        'nothing ahead → done without pushed_at; branch missing → the job becomes failed with "push failed (…)". Idea jobs skip the gate and GitHub.',
        'When GitHub cannot be read (GITHUB_UNAVAILABLE) or the app lost the repository (APP_NOT_INSTALLED) nothing is written and the job stays yours: call done again later.',
        'branch is optional and must be the story branch. summary ≤ 1000 and error ≤ 2000 characters;',
        'model_id and input/output/cache_read/cache_write tokens record usage: send your running totals for the job (each report replaces the stored ones);',
        'the job is priced then (get_job shows usage.cost_usd). Budgets may stop new jobs of a PBI or product from being handed out: the running one finishes.',
        'Answer: the job\'s status fields plus next_action — idle: keep working on this job (after running);',
        'wait_for_job_again: call wait_for_job now, more jobs are queued for you; queue_empty: nothing is queued for you, the batch is done —',
        'worktree: remove (delete your local worktree) or keep (sibling jobs of the story still need it); keep_branch: true when the work was pushed;',
        'cascade: {id, cancelled_job_ids} when your failed report started the fail-cascade.',
        errors,
      ].join(' ');
    case 'verify_task_against_plan':
      return [
        'Compare the files the pushed story branch changes against the base branch with the task\'s plan_paths (globs). Push first.',
        'verify_result: aligned (every plan path changed), partial (some), divergent (none), empty (no changes, or no such branch).',
        'The result is stored on the job for the done gate of update_job_status; verify again after pushing more.',
        'Also returns plan_paths, changed_paths, missing_paths and unexpected_paths to show what to fix.',
        'branch is optional and must be the story branch. Task jobs only (WRONG_JOB_KIND otherwise), while claimed or running.',
        'GITHUB_UNAVAILABLE: GitHub kept failing; try again shortly.',
        errors,
      ].join(' ');
    case 'get_git_token':
      return [
        'Get a short-lived GitHub installation token (see expires_at) limited to the product\'s repository with contents: write,',
        'to push the story branch without credentials of your own:',
        `git push https://x-access-token:<token>@${gitHost(config)}/<owner>/<name>.git HEAD:<branch>.`,
        'Only for the token that claimed the job, while it is claimed or running. Keep it out of logs, commits and summaries.',
        errors,
      ].join(' ');
    case 'update_idea_grill_md':
      return [
        'Deliver the grill of an idea (markdown, up to 500,000 characters) for an idea_grill job you claimed; the idea becomes grilled.',
        'Then call update_job_status done. WRONG_JOB_KIND for any other kind of job.',
        errors,
      ].join(' ');
    case 'update_idea_plan_md':
      return [
        'Deliver the plan of an idea (markdown, up to 500,000 characters) for an idea_make_plan job you claimed; the idea becomes plan_ready.',
        'Then call update_job_status done. WRONG_JOB_KIND for any other kind of job.',
        errors,
      ].join(' ');
    case 'get_job':
      return [
        'Read one of your jobs: what wait_for_job returned plus status, pr_url, verify_result, summary, error, timestamps, cascade_id,',
        'usage (your reported tokens and cost_usd, an exact decimal string, null while the model has no price)',
        'and trace (warnings, cascade and requeue notes). Use it to find a pull request made in the background after done,',
        'or why a job was cancelled. Another user\'s job is JOB_NOT_FOUND.',
        errors,
      ].join(' ');
  }
}
