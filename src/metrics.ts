// Prometheus metrics (GET /metrics). One registry per app instance so tests
// can run several apps in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  githubRequests: Counter<'method' | 'route' | 'status'>;
  jobTransitions: Counter<'from' | 'to'>;
  queueDepth: Gauge;
  cascadeSteps: Counter<'action' | 'outcome'>;
  webhookDeliveries: Counter<'event' | 'outcome'>;
  backgroundJobs: Counter<'task' | 'outcome'>;
  /** reported tokens by model and type (input, output, cache_read, cache_write), by the difference of each report */
  usageTokens: Counter<'model' | 'type'>;
  /** the cost of reported usage in USD by model, by the difference of each report (priced models only) */
  usageCost: Counter<'model'>;
}

export function createMetrics(options: { queueDepth?: () => Promise<number> } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const queueDepthSource = options.queueDepth;
  return {
    registry,
    httpRequests: new Counter({
      name: 'scrum4me_http_requests_total',
      help: 'HTTP requests to the API by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'scrum4me_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60],
      registers: [registry],
    }),
    githubRequests: new Counter({
      name: 'scrum4me_github_requests_total',
      help: 'GitHub API calls by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    jobTransitions: new Counter({
      name: 'scrum4me_job_transitions_total',
      help: 'Job status transitions: claims, status calls, cascade cancellations and stale requeues',
      labelNames: ['from', 'to'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'scrum4me_jobs_queued',
      help: 'Jobs waiting to be claimed',
      registers: [registry],
      async collect() {
        if (queueDepthSource) this.set(await queueDepthSource().catch(() => 0));
      },
    }),
    cascadeSteps: new Counter({
      name: 'scrum4me_cascade_steps_total',
      help: 'Fail-cascade branch steps by action and outcome',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'scrum4me_webhook_deliveries_total',
      help: 'Webhook deliveries by event and outcome (processed, duplicate, failed)',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    backgroundJobs: new Counter({
      name: 'scrum4me_background_jobs_total',
      help: 'Background (graphile-worker) job runs by task and outcome (success, error: retried later)',
      labelNames: ['task', 'outcome'],
      registers: [registry],
    }),
    usageTokens: new Counter({
      name: 'scrum4me_usage_tokens_total',
      help: 'Tokens agents reported, by model and token type (input, output, cache_read, cache_write)',
      labelNames: ['model', 'type'],
      registers: [registry],
    }),
    usageCost: new Counter({
      name: 'scrum4me_usage_cost_usd_total',
      help: 'Cost of the reported usage in USD at the price in force when it was reported, by model',
      labelNames: ['model'],
      registers: [registry],
    }),
  };
}
