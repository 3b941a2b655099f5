// GET /healthz, /readyz and /metrics (the last for SCRUM4ME_METRICS_TOKEN or an admin token).
import { route, type Route } from '../http/router.ts';
import type { AppServices } from '../services/app-services.ts';
import { authorizeMetricsReader } from '../services/auth/tokens.ts';

export function healthRoutes(services: AppServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/healthz',
      access: 'public',
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    route({
      method: 'GET',
      path: '/readyz',
      access: 'public',
      handle: async () => {
        const { ready, problems } = await services.readiness();
        return { status: ready ? 200 : 503, body: ready ? { status: 'ready' } : { status: 'not_ready', problems } };
      },
    }),
    route({
      method: 'GET',
      path: '/metrics',
      // not the router's bearer check: SCRUM4ME_METRICS_TOKEN is no database token
      access: 'public',
      handle: async ({ req, res }) => {
        await authorizeMetricsReader(services.pool, req.headers.authorization, services.config.metricsToken, services.tokenCache);
        const text = await services.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': services.metrics.registry.contentType });
        res.end(text);
        return { handled: true };
      },
    }),
  ];
}
