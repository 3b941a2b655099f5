// The app's webhooks: each event family to its thin handler. Probot verifies
// X-Hub-Signature-256 before any of these run.
import type { Probot } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import type { PullRequestChangeHook } from '../../services/pull-requests/pull-request-events.ts';
import { needsMergeMethod, queueMergeMethodLookup } from '../../services/pull-requests/queue-merge-method.ts';
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
}

export function registerWebhooks(app: Probot, services: AppServices, options: WebhookOptions = {}): void {
  const afterChange: PullRequestChangeHook = async (sql, change) => {
    // a merge: its merge method is read by a background job committed with the delivery
    if (needsMergeMethod(change.record)) await queueMergeMethodLookup(sql, change.record.id);
    await options.afterPullRequestChange?.(sql, change);
  };
  app.on([...pullRequestActions], pullRequestHandler(services, { afterChange }));
  app.on('installation', installationHandler(services));
  app.on('installation_repositories', installationRepositoriesHandler(services));
  app.on([...repositoryActions], repositoryHandler(services));
  // check_run.rerequested belongs to the checks module: register it here the same
  // way (a handler calling one service that uses onceForDelivery from
  // services/pull-requests/deliveries.ts for its de-duplication).
}
