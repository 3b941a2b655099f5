// What the route table cannot say about each route: its summary, its answers
// and the errors particular to it. Keyed by "METHOD path" as the routes are
// declared; the request schemas come from the routes themselves. A route
// missing here still appears in the document, with a bare description, and
// test/openapi fails until it is described.
import type { z } from 'zod';
import type { ErrorCode } from '../services/errors.ts';
import * as answers from './responses.ts';

export type Tag = 'agent' | 'operator' | 'events' | 'health';

export interface SuccessDoc {
  description: string;
  /** JSON unless contentType says otherwise; no schema: no body */
  schema?: z.ZodType;
  contentType?: string;
}

export interface OperationDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: Tag[];
  responses: Partial<Record<200 | 201 | 204 | 503, SuccessDoc>>;
  /** errors particular to the route; auth, validation, body size and INTERNAL are added from the route */
  errors: ErrorCode[];
}

/** What each code means for a client (SPEC §4). */
export const errorMeanings: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'no, malformed, unknown or revoked token',
  PERMISSION_DENIED: 'an agent token on an operator route, or a job claimed by another token of the user',
  JOB_NOT_FOUND: "no such job, or another user's job",
  NOT_FOUND: 'no such resource',
  VALIDATION_FAILED: 'bad JSON or a field fails validation; details names each field',
  JOB_CANCELLED: 'the job was cancelled by the PBI fail-cascade: discard the local work and claim the next job; nothing was written',
  JOB_TERMINAL: 'the job is not claimed or running any more',
  WRONG_JOB_KIND: 'the call does not fit the job kind',
  CONFLICT: 'a duplicate, or a PBI whose fail-cascade is open',
  APP_NOT_INSTALLED: "the app's installations cannot reach the repository",
  VERIFY_GATE: 'done refused by the verify gate; the message says why',
  PAYLOAD_TOO_LARGE: 'the body is over the limit (SCRUM4ME_MAX_BODY_BYTES, 1 MiB by default)',
  GITHUB_UNAVAILABLE: 'GitHub kept failing; try again later',
  UNAVAILABLE: 'the database cannot be reached; nothing was half-written, try again after Retry-After',
  INTERNAL: 'a bug on our side',
};

const jobErrors: ErrorCode[] = ['JOB_NOT_FOUND', 'PERMISSION_DENIED', 'JOB_CANCELLED', 'JOB_TERMINAL'];

export const operations: Record<string, OperationDoc> = {
  'POST /api/v1/jobs/claim': {
    operationId: 'claimJob',
    summary: 'Claim the next job (long-poll)',
    description:
      "Claims the user's next queued job, highest priority first, then oldest, waiting up to `wait_seconds` (default 25) for one to be queued. " +
      'Two claimers never get the same job. The job is then claimed by this token: only it can report on the job.',
    tags: ['agent'],
    responses: {
      200: { description: 'A job was claimed', schema: answers.claimAnswer },
      204: { description: 'Nothing became available in time: claim again' },
    },
    errors: [],
  },
  'POST /api/v1/jobs/:id/status': {
    operationId: 'updateJobStatus',
    summary: 'Report running, done or failed',
    description:
      'From claimed or running only, with the token that claimed the job. `done` on a task job passes the verify gate ' +
      '(verify first; partial or divergent needs a summary of at least 20 characters under aligned_or_partial), then the app checks the story branch on GitHub ' +
      'and opens or reuses the story PR. A failed task job starts the PBI fail-cascade.',
    tags: ['agent'],
    responses: { 200: { description: "The job's status after the call, with next_action and worktree advice", schema: answers.statusAnswer } },
    errors: [...jobErrors, 'VERIFY_GATE'],
  },
  'POST /api/v1/jobs/:id/verify': {
    operationId: 'verifyJob',
    summary: "Compare the story branch's changes with the task's plan",
    description: "Compares the files the branch changes against the base (every page of GitHub's compare) with the plan's paths; stores the result for the done gate.",
    tags: ['agent'],
    responses: { 200: { description: 'The verify result', schema: answers.verifyAnswer } },
    errors: [...jobErrors, 'WRONG_JOB_KIND', 'APP_NOT_INSTALLED', 'GITHUB_UNAVAILABLE'],
  },
  'POST /api/v1/jobs/:id/git-token': {
    operationId: 'getGitToken',
    summary: 'Get a token to push the story branch',
    description: "An installation token limited to the product's repository with contents: write only. Only for the claiming token while the job is claimed or running. Never logged.",
    tags: ['agent'],
    responses: { 200: { description: 'A short-lived installation token', schema: answers.gitToken } },
    errors: [...jobErrors, 'APP_NOT_INSTALLED', 'GITHUB_UNAVAILABLE'],
  },
  'POST /api/v1/jobs/:id/idea': {
    operationId: 'storeIdeaResult',
    summary: "Deliver an idea job's markdown",
    description: '`grill_md` for an idea_grill job (the idea becomes grilled), `plan_md` for an idea_make_plan job (plan_ready).',
    tags: ['agent'],
    responses: { 200: { description: "The idea's new status", schema: answers.ideaResultAnswer } },
    errors: [...jobErrors, 'WRONG_JOB_KIND'],
  },
  'GET /api/v1/jobs/:id': {
    operationId: 'getJob',
    summary: 'Read a job',
    description: 'The job as claimed, plus its status fields, pr_url, verify_result, usage (tokens and cost_usd, priced when reported), trace and cascade_id.',
    tags: ['agent'],
    responses: { 200: { description: 'The job', schema: answers.jobDetail } },
    errors: ['JOB_NOT_FOUND'],
  },
  'GET /api/v1/events': {
    operationId: 'streamEvents',
    summary: 'Live change events (Server-Sent Events)',
    description:
      "The `scrum4me_changes` stream: each event `event: <type>`, `id: <seq>`, `data: <JSON>`; a heartbeat comment every 15 s. A token sees its user's events (an admin token everybody's). " +
      'Send `Last-Event-ID` to resume within the backlog.',
    tags: ['events'],
    responses: { 200: { description: 'An event stream that stays open', contentType: 'text/event-stream' } },
    errors: [],
  },
  'POST /api/v1/admin/tokens': {
    operationId: 'createToken',
    summary: 'Mint a token for a user',
    description: 'The user is created on first use. The token is shown once and stored only as a hash.',
    tags: ['operator'],
    responses: { 201: { description: 'The new token', schema: answers.createdToken } },
    errors: [],
  },
  'DELETE /api/v1/admin/tokens/:token_id': {
    operationId: 'revokeToken',
    summary: 'Revoke a token',
    tags: ['operator'],
    responses: { 200: { description: 'Revoked (again: still 200)', schema: answers.revokedToken } },
    errors: ['NOT_FOUND'],
  },
  'POST /api/v1/admin/products': {
    operationId: 'addProduct',
    summary: 'Add a product for a repository the app is installed on',
    description: "The installation is resolved from the app's installations; base_branch defaults to the repository's default branch.",
    tags: ['operator'],
    responses: { 201: { description: 'The product', schema: answers.product } },
    errors: ['CONFLICT', 'APP_NOT_INSTALLED', 'GITHUB_UNAVAILABLE'],
  },
  'GET /api/v1/admin/products': {
    operationId: 'listProducts',
    summary: 'List products',
    tags: ['operator'],
    responses: { 200: { description: 'Every product, oldest first', schema: answers.productList } },
    errors: [],
  },
  'GET /api/v1/admin/products/:id': {
    operationId: 'getProduct',
    summary: 'Read a product',
    description: "With the usage of all its jobs (tokens, cost, unpriced jobs), its budget and its max_active_jobs.",
    tags: ['operator'],
    responses: { 200: { description: 'The product', schema: answers.product } },
    errors: ['NOT_FOUND'],
  },
  'POST /api/v1/admin/products/:id/backlog': {
    operationId: 'importBacklog',
    summary: "Import PBIs, stories and tasks into a product's backlog",
    description: 'Atomic: a bad field answers 400 naming it and nothing is created. Answers in input order, with each story\'s branch.',
    tags: ['operator'],
    responses: { 201: { description: 'What was created', schema: answers.importedBacklog } },
    errors: ['NOT_FOUND'],
  },
  'POST /api/v1/admin/products/:id/reconcile': {
    operationId: 'reconcileProduct',
    summary: "Heal the product's PR records from GitHub after missed webhooks",
    description: 'Reads the open PRs and every PR not yet final; a PR that fails is listed and the others go on.',
    tags: ['operator'],
    responses: { 200: { description: 'What changed', schema: answers.reconcileSummary } },
    errors: ['NOT_FOUND', 'APP_NOT_INSTALLED', 'GITHUB_UNAVAILABLE'],
  },
  'POST /api/v1/admin/ideas': {
    operationId: 'createIdea',
    summary: 'Add an idea to a product',
    tags: ['operator'],
    responses: { 201: { description: 'The idea', schema: answers.idea } },
    errors: ['NOT_FOUND'],
  },
  'POST /api/v1/admin/jobs': {
    operationId: 'enqueueJobs',
    summary: 'Queue jobs for a user',
    description: 'Either task_ids (task_implementation jobs) or idea_id (kind idea_grill or idea_make_plan). Answers in input order.',
    tags: ['operator'],
    responses: { 201: { description: 'The queued jobs', schema: answers.enqueuedJobs } },
    errors: ['NOT_FOUND', 'CONFLICT'],
  },
  'GET /api/v1/admin/pbis/:id': {
    operationId: 'getPbi',
    summary: 'Read a PBI: stories, PRs, jobs and fail-cascades',
    tags: ['operator'],
    responses: { 200: { description: 'The PBI', schema: answers.pbiView } },
    errors: ['NOT_FOUND'],
  },
  'POST /api/v1/admin/pbis/:id/reopen': {
    operationId: 'reopenPbi',
    summary: "Close a PBI's finished fail-cascade so it can be worked again",
    tags: ['operator'],
    responses: { 200: { description: 'The cascade that was closed, if any', schema: answers.reopenAnswer } },
    errors: ['NOT_FOUND', 'CONFLICT'],
  },
  'GET /api/v1/admin/products/:id/pbis': {
    operationId: 'listProductPbis',
    summary: "List a product's PBIs with their progress",
    description: 'Each PBI with its stories and tasks counted, the tasks whose newest job is done, its jobs by status and its newest fail-cascade.',
    tags: ['operator'],
    responses: { 200: { description: 'The PBIs, in backlog order', schema: answers.productPbis } },
    errors: ['NOT_FOUND'],
  },
  'GET /api/v1/admin/jobs': {
    operationId: 'listJobs',
    summary: "List every user's jobs, newest first, a page at a time",
    description:
      'Filters: `status`, `user` (name), `product_id`, `kind`; `limit` 1-200 (default 50). Keyset pagination: pass `next_cursor` as `cursor` for the next, older page; ' +
      'jobs created meanwhile never shift or repeat a page.',
    tags: ['operator'],
    responses: { 200: { description: 'One page of jobs', schema: answers.jobList } },
    errors: [],
  },
  'GET /api/v1/admin/jobs/:id': {
    operationId: 'getOperatorJob',
    summary: "Read any user's job with its trace",
    tags: ['operator'],
    responses: { 200: { description: 'The job, its user, usage and trace', schema: answers.operatorJob } },
    errors: ['JOB_NOT_FOUND'],
  },
  'GET /api/v1/admin/tokens': {
    operationId: 'listTokens',
    summary: 'List users and their tokens',
    description: 'By user, oldest token first, revoked ones too. Only a prefix of each token: the token itself is shown once, when it is minted.',
    tags: ['operator'],
    responses: { 200: { description: 'The tokens', schema: answers.tokenList } },
    errors: [],
  },
  'GET /api/v1/admin/prices': {
    operationId: 'getPrices',
    summary: 'Read the price table in force',
    description:
      'USD per million input, output, cache-read and cache-write tokens by model glob; the first entry whose glob matches a job\'s model_id wins. ' +
      'Empty until SCRUM4ME_PRICES_FILE or a PUT stores one: every model is unpriced then.',
    tags: ['operator'],
    responses: { 200: { description: 'The price table', schema: answers.priceTable } },
    errors: [],
  },
  'PUT /api/v1/admin/prices': {
    operationId: 'replacePrices',
    summary: 'Replace the price table',
    description:
      'Each price at most 1,000,000 with at most 6 decimals. A bad entry answers 400 naming it (prices.<index>.<field>) and nothing changes. ' +
      'The old table is kept: jobs priced with it keep their cost; jobs are priced with the new one from their next usage report.',
    tags: ['operator'],
    responses: { 200: { description: 'The table now in force', schema: answers.priceTable } },
    errors: [],
  },
  'GET /api/v1/admin/usage': {
    operationId: 'getUsage',
    summary: 'Tokens and cost of the jobs that reported usage, grouped',
    description:
      'Filters: `product_id`, `pbi_id`, `user` (name), `from` (inclusive) and `to`: a UTC day (YYYY-MM-DD; `to` includes it) or an ISO-8601 instant (`to` exclusive), on when the job last reported usage. ' +
      '`group_by`: model (default), user, pbi, story or day (UTC). Costs are exact decimal strings summing the priced jobs, each at the price in force when its usage was reported.',
    tags: ['operator'],
    responses: { 200: { description: 'The groups and their total', schema: answers.usageReportAnswer } },
    errors: [],
  },
  'PATCH /api/v1/admin/products/:id': {
    operationId: 'updateProduct',
    summary: "Set a product's budget and its max_active_jobs",
    description:
      '`budget_usd` (null: none): once the cost of the product\'s jobs reaches it, claims skip its queued jobs (running ones finish) and one `budget_exceeded` event is published; raising it hands them out again. ' +
      '`max_active_jobs` (null: none): claims skip the product while it has that many claimed + running jobs and hand out other products\' jobs; a freed slot wakes long-polling claimers. ' +
      'Setting a limit counts the active jobs afresh with job writes paused for a moment: 503 UNAVAILABLE when that waited 5 s.',
    tags: ['operator'],
    responses: { 200: { description: 'The product', schema: answers.product } },
    errors: ['NOT_FOUND', 'UNAVAILABLE'],
  },
  'PATCH /api/v1/admin/pbis/:id': {
    operationId: 'setPbiBudget',
    summary: "Set a PBI's budget",
    description:
      'Once the cost of the PBI\'s jobs reaches `budget_usd` (null: none), claims skip its queued jobs (running ones finish) and one `budget_exceeded` event is published per crossing; raising it hands them out again.',
    tags: ['operator'],
    responses: { 200: { description: "The PBI's budget", schema: answers.pbiBudgetAnswer } },
    errors: ['NOT_FOUND'],
  },
  'GET /api/v1/openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tags: ['health'],
    responses: { 200: { description: 'The OpenAPI 3.1 document of this API' } },
    errors: [],
  },
  'GET /healthz': {
    operationId: 'health',
    summary: 'Process up',
    tags: ['health'],
    responses: { 200: { description: 'Up', schema: answers.health } },
    errors: [],
  },
  'GET /readyz': {
    operationId: 'ready',
    summary: 'Database reachable and every migration applied',
    tags: ['health'],
    responses: {
      200: { description: 'Ready', schema: answers.ready },
      503: { description: 'Not ready, and why', schema: answers.notReady },
    },
    errors: [],
  },
  'GET /metrics': {
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description: 'Needs a bearer SCRUM4ME_METRICS_TOKEN or an admin token (the port also faces GitHub).',
    tags: ['health'],
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
    errors: ['UNAUTHENTICATED'],
  },
};
