// The app's webhooks: each event family to its thin handler. Probot verifies
// X-Hub-Signature-256 before any of these run.
import type { Probot } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import { startMergeMethodRunner, type MergeMethodScheduler } from '../../services/pull-requests/merge-method-runner.ts';
import type { PullRequestChangeHook } from '../../services/pull-requests/pull-request-events.ts';
import { installationHandler, installationRepositoriesHandler } from './installation.ts';
import { pullRequestActions, pullRequestHandler } from './pull-request.ts';
import { repositoryActions, repositoryHandler } from './repository.ts';

export interface WebhookOptions {
  /**
   * Runs in the delivery's transaction after a story PR's record changed (a new
   * head sha after synchronize, merged, closed, reopened): the seam for queueing
   * the story's check-run refresh.
   */
  afterPullRequestChange?: PullRequestChangeHook;
  /** Where merged PRs' merge methods are resolved; default: a bounded in-process runner. */
  mergeMethods?: MergeMethodScheduler;
}

export function registerWebhooks(app: Probot, services: AppServices, options: WebhookOptions = {}): void {
  const mergeMethods = options.mergeMethods ?? startMergeMethodRunner(services);
  app.on([...pullRequestActions], pullRequestHandler(services, { mergeMethods, afterChange: options.afterPullRequestChange }));
  app.on('installation', installationHandler(services));
  app.on('installation_repositories', installationRepositoriesHandler(services));
  app.on([...repositoryActions], repositoryHandler(services));
  // check_run.rerequested belongs to the checks module: register it here the same
  // way (a handler calling one service that uses onceForDelivery from
  // services/pull-requests/deliveries.ts for its de-duplication).
}
