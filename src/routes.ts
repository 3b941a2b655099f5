// The HTTP API's route table, in one place: the app serves it and the OpenAPI
// document (scripts/write-openapi.ts) describes exactly it.
import { adminListRoutes } from './handlers/admin-lists.ts';
import { adminPriceRoutes } from './handlers/admin-prices.ts';
import { adminUsageRoutes } from './handlers/admin-usage.ts';
import { adminProductRoutes } from './handlers/admin-products.ts';
import { adminReconcileRoutes } from './handlers/admin-reconcile.ts';
import { adminTokenRoutes } from './handlers/admin-tokens.ts';
import { adminWorkRoutes } from './handlers/admin-work.ts';
import { agentJobRoutes, type AgentJobDeps } from './handlers/agent-jobs.ts';
import { eventRoutes } from './handlers/events.ts';
import { healthRoutes } from './handlers/health.ts';
import type { Route } from './http/router.ts';
import { openApiRoutes } from './openapi/route.ts';
import type { AppServices } from './services/app-services.ts';
import type { EventHub } from './services/events/event-hub.ts';

export function buildRoutes(services: AppServices, deps: { agent: AgentJobDeps; eventHub: EventHub }): Route[] {
  const routes: Route[] = [
    ...healthRoutes(services),
    ...adminTokenRoutes(services),
    ...adminProductRoutes(services),
    ...adminWorkRoutes(services),
    ...adminReconcileRoutes(services),
    ...adminListRoutes(services),
    ...adminPriceRoutes(services),
    ...adminUsageRoutes(services),
    ...agentJobRoutes(services, deps.agent),
    ...eventRoutes(services, deps.eventHub),
  ];
  routes.push(...openApiRoutes(() => routes));
  return routes;
}
