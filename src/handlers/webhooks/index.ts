// The app's webhooks: each event family to its thin handler. Probot verifies
// X-Hub-Signature-256 before any of these run.
import type { Probot } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import type { PullRequestChangeJobs } from '../../services/pull-requests/pull-request-events.ts';
import { mergeMethodJob, needsMergeMethod } from '../../services/pull-requests/queue-merge-method.ts';
import { installationHandler, installationRepositoriesHandler } from './installation.ts';
import { pullRequestActions, pullRequestHandler } from './pull-request.ts';
import { repositoryActions, repositoryHandler } from './repository.ts';

export interface WebhookOptions {
  /**
   * The background jobs to add with a story PR's changed record (a new head sha
   * after synchronize, merged, closed, reopened), written in the same statement:
   * the seam for queueing the story's check-run refresh.
   */
  jobsAfterPullRequestChange?: PullRequestChangeJobs;
}

export function registerWebhooks(app: Probot, services: AppServices, options: WebhookOptions = {}): void {
  const jobsAfterChange: PullRequestChangeJobs = (change) => [
    // a merge: its merge method is read by a background job committed with the delivery
    ...(needsMergeMethod(change.record) ? [mergeMethodJob(change.record.id)] : []),
    ...(options.jobsAfterPullRequestChange?.(change) ?? []),
  ];
  app.on([...pullRequestActions], pullRequestHandler(services, { jobsAfterChange }));
  app.on('installation', installationHandler(services));
  app.on('installation_repositories', installationRepositoriesHandler(services));
  app.on([...repositoryActions], repositoryHandler(services));
  // check_run.rerequested is not registered here: src/index.ts registers
  // handlers/check-run-webhook.ts (its service: services/checks/rerequested.ts).
}
