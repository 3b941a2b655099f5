// POST /api/v1/admin/products/{id}/reconcile: heal the product's PR records
// from GitHub after missed webhooks (the CLI's `scrum4me reconcile --product ID`).
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { githubUnavailable, isTransientGitHubError, statusOf } from '../services/github/access.ts';
import { DomainError } from '../services/errors.ts';
import { reconcileProductPullRequests } from '../services/pull-requests/reconcile.ts';
import { idParams } from './schema-kit.ts';

export function adminReconcileRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/admin/products/:id/reconcile',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => {
        try {
          return { status: 200, body: await reconcileProductPullRequests(services, params.id) };
        } catch (error) {
          const status = statusOf(error);
          if (status === undefined || error instanceof DomainError) throw error;
          if (isTransientGitHubError(error)) throw githubUnavailable(`reconciling product ${params.id}`);
          if (status === 401 || status === 403 || status === 404) {
            throw new DomainError('APP_NOT_INSTALLED', `GitHub refused the app access to the repository of product ${params.id} (${status})`);
          }
          throw error;
        }
      },
    }),
  ];
}
