// POST /api/v1/admin/products/{id}/reconcile: heal the product's PR records
// from GitHub after missed webhooks (the CLI's `scrum4me reconcile --product ID`).
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { reconcileProductOnRequest } from '../services/pull-requests/reconcile.ts';
import { idParams } from './schema-kit.ts';

export function adminReconcileRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/admin/products/:id/reconcile',
      access: 'admin',
      params: idParams,
      handle: async ({ params }) => ({ status: 200, body: await reconcileProductOnRequest(services, params.id) }),
    }),
  ];
}
