// repository renamed, transferred → the product of that repository id takes the new name.
import type { Context } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import { applyRepositoryEvent, type RepositoryOutcome } from '../../services/installations/repository-events.ts';
import { handleDelivery } from './delivery.ts';

export const repositoryActions = ['repository.renamed', 'repository.transferred'] as const;

const describe = (result: RepositoryOutcome) => {
  switch (result.kind) {
    case 'applied':
      return { productId: result.productId, renamed: result.renamed, learntId: result.learntId, released: result.released };
    case 'unchanged':
      return { productId: result.productId };
    case 'ignored':
      return { reason: result.reason };
    default:
      return {};
  }
};

export function repositoryHandler(services: AppServices) {
  return async (context: Context<(typeof repositoryActions)[number]>): Promise<void> => {
    await handleDelivery(services, context, (delivery) => applyRepositoryEvent(services, delivery, context.payload), describe);
  };
}
