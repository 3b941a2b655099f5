// pull_request opened, reopened, edited, synchronize, closed → the story PR's record.
import type { Context } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import { applyPullRequestEvent, type PullEventOutcome, type PullRequestChangeJobs } from '../../services/pull-requests/pull-request-events.ts';
import { handleDelivery } from './delivery.ts';

export const pullRequestActions = [
  'pull_request.opened',
  'pull_request.reopened',
  'pull_request.edited',
  'pull_request.synchronize',
  'pull_request.closed',
] as const;

export function pullRequestHandler(
  services: AppServices,
  options: { jobsAfterChange?: PullRequestChangeJobs | undefined },
) {
  return async (context: Context<(typeof pullRequestActions)[number]>): Promise<void> => {
    const { pull_request: pull, repository } = context.payload;
    await handleDelivery(
      services,
      context,
      (delivery) => applyPullRequestEvent(services, delivery, { pull, repository }, { jobsAfterChange: options.jobsAfterChange }),
      (result: PullEventOutcome) => ({
        repo: repository.full_name,
        pullRequest: pull.number,
        ...('reason' in result ? { reason: result.reason } : {}),
        ...('record' in result ? { state: result.record.state, storyId: result.record.story_id } : {}),
      }),
    );
  };
}
