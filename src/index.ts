// The Probot app function: wires webhooks and our HTTP API to the services.
// No logic here: see src/handlers (thin) and src/services (the domain).
import type { ApplicationFunction, Probot } from 'probot';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { EventHub } from './services/events/event-hub.ts';
import { checkRunRerequestedHandler } from './handlers/check-run-webhook.ts';
import { mcpHandler } from './handlers/mcp/handler.ts';
import { consoleHandler } from './console/handler.tsx';
import { registerWebhooks } from './handlers/webhooks/index.ts';
import { checkRefreshJob } from './services/checks/queue-check-refresh.ts';
import { createRouter } from './http/router.ts';
import { buildRoutes } from './routes.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { AppServices } from './services/app-services.ts';
import { authenticate } from './services/auth/tokens.ts';
import type { TokenCache } from './services/auth/token-cache.ts';
import { probotGitHubAccess, type GitHubAccess } from './services/github/access.ts';
import type { ClaimWaiter } from './services/jobs/claim-waiter.ts';

export interface AppDependencies {
  config: Config;
  db: Database;
  log: Logger;
  metrics: Metrics;
  readiness: AppServices['readiness'];
  claimWaiter: ClaimWaiter;
  eventHub: EventHub;
  tokenCache?: TokenCache;
  /** replaces Probot-based GitHub access (tests) */
  github?: GitHubAccess;
}

export interface RunningApp {
  services: AppServices;
  /** stops what the app function started (nothing today: background work lives in graphile-worker) */
  stop(): Promise<void>;
}

export function scrum4meApp(deps: AppDependencies, started?: (app: RunningApp) => void): ApplicationFunction {
  return (probot: Probot, { addHandler }) => {
    const services: AppServices = {
      config: deps.config,
      prisma: deps.db.prisma,
      pool: deps.db.pool,
      github: deps.github ?? probotGitHubAccess(probot, deps.metrics),
      log: deps.log,
      metrics: deps.metrics,
      readiness: deps.readiness,
      tokenCache: deps.tokenCache,
    };
    const agentDeps = { waiter: deps.claimWaiter };
    const routes = buildRoutes(services, { agent: agentDeps, eventHub: deps.eventHub });

    registerWebhooks(probot, services, {
      // a story PR changed (new head, merged, closed): its check run follows
      jobsAfterPullRequestChange: (change) => (change.record.story_id ? [checkRefreshJob(change.record.story_id)] : []),
    });
    probot.on('check_run.rerequested', checkRunRerequestedHandler(services));

    addHandler(
      createRouter({
        routes,
        authenticate: (header) => authenticate(services.pool, header, services.tokenCache),
        log: deps.log,
        metrics: deps.metrics,
        maxBodyBytes: deps.config.maxBodyBytes,
        ownedPrefixes: ['/api/v1'],
      }),
    );
    addHandler(mcpHandler(services, agentDeps));
    addHandler(consoleHandler(services, { eventHub: deps.eventHub }));
    started?.({ services, stop: async () => {} });
  };
}
