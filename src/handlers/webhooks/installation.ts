// installation (created, deleted, suspend, unsuspend, …) and installation_repositories
// (added, removed) → installations and the products bound to them.
import type { Context } from 'probot';
import type { AppServices } from '../../services/app-services.ts';
import { applyInstallationEvent, applyInstallationRepositoriesEvent, type InstallationOutcome } from '../../services/installations/installation-events.ts';
import { handleDelivery } from './delivery.ts';

const describe = (result: InstallationOutcome) => (result.kind === 'applied' ? { installationId: result.installationId, bound: result.bound, marked: result.marked } : {});

export function installationHandler(services: AppServices) {
  return async (context: Context<'installation'>): Promise<void> => {
    await handleDelivery(services, context, (delivery) => applyInstallationEvent(services, delivery, context.payload), describe);
  };
}

export function installationRepositoriesHandler(services: AppServices) {
  return async (context: Context<'installation_repositories'>): Promise<void> => {
    await handleDelivery(services, context, (delivery) => applyInstallationRepositoriesEvent(services, delivery, context.payload), describe);
  };
}
