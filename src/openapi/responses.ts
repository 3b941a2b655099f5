// The API's answers as zod schemas, for the OpenAPI document only (the
// services build the answers; nothing parses them with these). They are kept
// true three ways: enum values come from the Prisma enums, the type checks at
// the bottom compare each schema with the service's return type, and
// test/openapi checks real answers of a running app against them.
import { z } from 'zod';
import {
  CascadeStatus,
  CascadeStepAction,
  CascadeStepState,
  IdeaStatus,
  JobKind,
  JobStatus,
  MergeMethod,
  PullRequestState,
  TraceLevel,
  VerifyRequired,
  VerifyResult,
} from '../generated/prisma/enums.ts';
import type { CreatedToken } from '../services/auth/tokens.ts';
import type { ImportedBacklog } from '../services/backlog/import-backlog.ts';
import type { IdeaView } from '../services/ideas/ideas.ts';
import type { ClaimedJob } from '../services/jobs/claim.ts';
import type { EnqueuedJob } from '../services/jobs/enqueue.ts';
import type { presentJobDetail } from '../services/jobs/job-view.ts';
import type { StatusAnswer } from '../services/jobs/update-status.ts';
import { pbiViewJobsPerTask, type PbiView } from '../services/pbis/pbi-view.ts';
import type { ProductView } from '../services/products/products.ts';
import type { ReconcileSummary } from '../services/pull-requests/reconcile.ts';
import type { verifyJob } from '../services/verify/verify-job.ts';
import type { issueGitToken } from '../services/github/git-token.ts';
import type { storeIdeaResult } from '../services/ideas/idea-results.ts';
import type { ErrorCode } from '../services/errors.ts';
import type { listTokens } from '../services/auth/list-tokens.ts';
import type { listJobs } from '../services/jobs/list-jobs.ts';
import type { OperatorJob } from '../services/jobs/operator-job.ts';
import type { listProductPbis } from '../services/products/list-pbis.ts';
import type { getPrices } from '../services/prices/prices.ts';
import type { UsageReport } from '../services/usage/usage-report.ts';
import type { setPbiBudget } from '../services/budgets/budgets.ts';

/** A Prisma enum as the API shows it: lower case (SPEC §4). */
function lowerEnum<const T extends Record<string, string>>(values: T) {
  return z.enum(Object.values(values).map((v) => v.toLowerCase()) as [Lowercase<T[keyof T]>, ...Lowercase<T[keyof T]>[]]);
}

const timestamp = z.iso.datetime().describe('ISO-8601');
/** Money (SPEC §11): an exact decimal string with 9 decimals, never a float. */
export const money = z.string().regex(/^-?\d+\.\d{9}$/).describe('USD, a decimal string exact to 1e-9 (9 decimals), e.g. "0.300000000"');
const nullableTimestamp = timestamp.nullable();

export const jobUsage = z
  .object({
    model_id: z.string().nullable(),
    input_tokens: z.number().int().nullable(),
    output_tokens: z.number().int().nullable(),
    cache_read_tokens: z.number().int().nullable(),
    cache_write_tokens: z.number().int().nullable(),
    cost_usd: money
      .nullable()
      .describe('at the price in force when the usage was reported (a later price change never rewrites it); null: no price for the model, or no usage yet'),
    unpriced_jobs: z.literal([0, 1]).describe('1 when usage was reported but the model has no price'),
  })
  .describe("the job's token totals as its agent last reported them, and their cost");

export const usageTotals = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache_read_tokens: z.number().int(),
    cache_write_tokens: z.number().int(),
    cost_usd: money.describe('the priced jobs\' cost, each at the price in force when its usage was reported: an exact decimal string (9 decimals)'),
    unpriced_jobs: z.number().int().describe('jobs that reported usage with a model that has no price: their tokens are counted, their cost is not'),
  })
  .meta({ id: 'UsageTotals' })
  .describe('the usage of every job it holds (SPEC §11)');

export const budget = z
  .object({
    budget_usd: money,
    spent_usd: money.describe('what its jobs cost so far'),
    exceeded: z.boolean().describe('spent_usd reached budget_usd: claims skip its queued jobs (running ones finish) until the budget is raised'),
  })
  .nullable()
  .meta({ id: 'Budget' })
  .describe('null: no budget');

export const jobStatus = lowerEnum(JobStatus);
export const verifyResult = lowerEnum(VerifyResult);

export const claimedJob = z
  .object({
    id: z.string(),
    kind: lowerEnum(JobKind),
    status: jobStatus,
    priority: z.number().int(),
    product: z.object({ id: z.string(), name: z.string(), repo: z.string().describe('owner/name'), base_branch: z.string() }),
    pbi: z.object({ id: z.string(), code: z.string().nullable(), title: z.string() }).nullable(),
    story: z.object({ id: z.string(), code: z.string().nullable(), title: z.string(), branch: z.string() }).nullable().describe('null for idea jobs'),
    task: z
      .object({
        id: z.string(),
        title: z.string(),
        plan: z.string().nullable(),
        plan_paths: z.array(z.string()).describe('globs the implementation should change'),
        verify_only: z.boolean(),
        verify_required: lowerEnum(VerifyRequired),
      })
      .optional()
      .describe('task jobs'),
    idea: z.object({ id: z.string(), title: z.string(), body: z.string().nullable() }).optional().describe('idea jobs'),
    branch: z.string().nullable().describe("the story's branch to push to; null for idea jobs"),
    claimed_at: nullableTimestamp,
  })
  .meta({ id: 'ClaimedJob' });

export const claimAnswer = z.object({ job: claimedJob });

export const jobDetail = claimedJob
  .extend({
    branch: z.string().nullable().describe("the branch the agent reported, else the story's"),
    pushed_at: nullableTimestamp,
    pr_url: z.string().nullable().describe("the story PR's web URL"),
    verify_result: verifyResult.nullable(),
    summary: z.string().nullable(),
    error: z.string().nullable(),
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
    created_at: nullableTimestamp,
    cascade_id: z.string().nullable().describe('the fail-cascade that touched the job'),
    usage: jobUsage,
    trace: z.array(z.object({ at: nullableTimestamp, level: lowerEnum(TraceLevel), message: z.string() })).describe('warnings, cascade and requeue notes'),
  })
  .meta({ id: 'JobDetail' });

export const statusAnswer = z
  .object({
    job_id: z.string(),
    status: jobStatus,
    branch: z.string().nullable(),
    pushed_at: nullableTimestamp,
    pr_url: z.string().nullable().describe('null when no PR, or while GitHub failed and the PR is made in the background (GET the job later)'),
    verify_result: verifyResult.nullable(),
    summary: z.string().nullable(),
    error: z.string().nullable(),
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
    next_action: z
      .enum(['idle', 'wait_for_job_again', 'queue_empty'])
      .describe('idle after running (keep working); wait_for_job_again while the user has queued jobs (claim again); queue_empty otherwise'),
    worktree: z.enum(['keep', 'remove']).describe('keep while sibling jobs of the story are queued, claimed or running'),
    keep_branch: z.boolean().describe('true only for done with work pushed'),
    cascade: z.object({ id: z.string(), cancelled_job_ids: z.array(z.string()) }).nullable().describe('the fail-cascade this call started'),
  })
  .meta({ id: 'StatusAnswer' });

export const verifyAnswer = z
  .object({
    job_id: z.string(),
    verify_result: verifyResult,
    plan_paths: z.array(z.string()),
    changed_paths: z.array(z.string()),
    missing_paths: z.array(z.string()),
    unexpected_paths: z.array(z.string()),
  })
  .meta({ id: 'VerifyAnswer' });

export const gitToken = z
  .object({
    token: z.string().describe('push with https://x-access-token:<token>@github.com/<owner>/<name>.git'),
    expires_at: timestamp,
    repository: z.string().describe('owner/name: the only repository the token reaches'),
    permissions: z.record(z.string(), z.string()).describe('contents: write only'),
  })
  .meta({ id: 'GitToken' });

export const ideaResultAnswer = z.object({ job_id: z.string(), idea_id: z.string(), status: lowerEnum(IdeaStatus) });

export const createdToken = z.object({
  token: z.string().describe('shown once; stored only as a hash'),
  token_id: z.string(),
  user: z.string(),
});
export const revokedToken = z.object({ token_id: z.string(), revoked: z.literal(true) });

export const product = z
  .object({
    id: z.string(),
    name: z.string(),
    repo: z.string(),
    base_branch: z.string(),
    auto_pr: z.boolean(),
    installation_id: z.string().nullable(),
    max_active_jobs: z.number().int().nullable().describe('claimed + running jobs at most; null: no limit'),
    usage: usageTotals,
    budget,
  })
  .meta({ id: 'Product' });
export const productList = z.object({ products: z.array(product) });

// Usage, cost and budgets (SPEC §11)
export const priceTable = z
  .object({
    prices: z
      .array(
        z.object({
          model: z.string().describe('a picomatch glob over model ids'),
          input: z.number().describe('USD per million input tokens'),
          output: z.number().describe('USD per million output tokens'),
          cache_read: z.number().describe('USD per million cache-read tokens'),
          cache_write: z.number().describe('USD per million cache-write tokens'),
        }),
      )
      .describe('the first entry whose glob matches a job\'s model_id prices it'),
  })
  .meta({ id: 'PriceTable' });

const usageSums = {
  jobs: z.number().int().describe('jobs that reported usage'),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cache_read_tokens: z.number().int(),
  cache_write_tokens: z.number().int(),
  cost_usd: money.describe('the priced jobs\' cost'),
  unpriced_jobs: z.number().int().describe('jobs whose model has no price: their tokens are counted, their cost is not'),
};

export const usageReportAnswer = z
  .object({
    group_by: z.enum(['model', 'user', 'pbi', 'story', 'day']),
    rows: z
      .array(z.object({ key: z.string().nullable().describe('the model id, user name, PBI id, story id or UTC day (YYYY-MM-DD); null: none'), ...usageSums }))
      .describe('by cost, highest first (days: oldest first)'),
    total: z.object(usageSums),
  })
  .meta({ id: 'UsageReport' });

export const pbiBudgetAnswer = z.object({ id: z.string(), product_id: z.string(), budget });

export const importedBacklog = z.object({
  pbis: z.array(
    z.object({
      id: z.string(),
      code: z.string().nullable(),
      title: z.string(),
      stories: z.array(
        z.object({
          id: z.string(),
          code: z.string().nullable(),
          title: z.string(),
          branch: z.string(),
          tasks: z.array(z.object({ id: z.string(), title: z.string() })),
        }),
      ),
    }),
  ),
});

export const idea = z.object({ id: z.string(), product_id: z.string(), title: z.string(), body: z.string().nullable(), status: lowerEnum(IdeaStatus) });

export const enqueuedJobs = z.object({
  jobs: z.array(
    z.object({ id: z.string(), kind: lowerEnum(JobKind), status: jobStatus, priority: z.number().int(), task_id: z.string().nullable(), idea_id: z.string().nullable() }),
  ),
});

export const pbiView = z
  .object({
    id: z.string(),
    code: z.string().nullable(),
    title: z.string(),
    product_id: z.string(),
    stories: z.array(
      z.object({
        id: z.string(),
        code: z.string().nullable(),
        title: z.string(),
        branch: z.string(),
        pull_request: z
          .object({
            number: z.number().int(),
            url: z.string(),
            state: lowerEnum(PullRequestState),
            merge_method: lowerEnum(MergeMethod).nullable(),
            head_sha: z.string(),
            merge_commit_sha: z.string().nullable(),
          })
          .nullable(),
        tasks: z.array(
          z.object({
            id: z.string(),
            title: z.string(),
            jobs_total: z.number().int().describe(`every job the task ever had; \`jobs\` lists the newest ${pbiViewJobsPerTask} of them`),
            jobs: z
              .array(
                z.object({
                  id: z.string(),
                  status: jobStatus,
                  user: z.string(),
                  verify_result: verifyResult.nullable(),
                  pr_url: z.string().nullable(),
                  summary: z.string().nullable(),
                  error: z.string().nullable(),
                }),
              )
              .describe(`the task's newest jobs, at most ${pbiViewJobsPerTask}, oldest first; older ones are only counted in \`jobs_total\``),
          }),
        ),
      }),
    ),
    cascades: z.array(
      z.object({
        id: z.string(),
        status: lowerEnum(CascadeStatus),
        failed_job_id: z.string(),
        created_at: nullableTimestamp,
        finished_at: nullableTimestamp,
        reopened_at: nullableTimestamp,
        cancelled_job_ids: z.array(z.string()),
        steps: z.array(
          z.object({
            branch: z.string(),
            action: lowerEnum(CascadeStepAction),
            state: lowerEnum(CascadeStepState),
            pull_number: z.number().int().nullable(),
            revert_pull_number: z.number().int().nullable(),
            revert_pr_url: z.string().nullable(),
            warning: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Pbi' });

export const reconcileSummary = z.object({
  product_id: z.string(),
  repo: z.string(),
  open_on_github: z.number().int().describe('open PRs GitHub listed'),
  adopted: z.array(z.number().int()).describe('story PRs we had no record of'),
  updated: z.array(z.number().int()),
  unchanged: z.number().int(),
  merge_methods_resolved: z.array(z.number().int()),
  failed: z.array(z.object({ number: z.number().int(), error: z.string() })).describe('PRs that could not be reconciled; the others went on'),
});

export const reopenAnswer = z.object({ pbi_id: z.string(), reopened_cascade_id: z.string().nullable().describe('null when the PBI had no finished cascade open') });

export const health = z.object({ status: z.literal('ok') });
export const ready = z.object({ status: z.literal('ready') });
export const notReady = z.object({ status: z.literal('not_ready'), problems: z.array(z.string()) });

/** The error envelope of SPEC §4; `details` only for VALIDATION_FAILED. */
export function errorBody(codes: readonly ErrorCode[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('VALIDATION_FAILED: one entry per field'),
    }),
  });
}

// Compile-time: each schema's output is a valid service answer and documents
// every field the service returns (nested fields are checked by test/openapi).
type Describes<Doc, Actual> = [Doc] extends [Actual] ? ([keyof Actual] extends [keyof Doc] ? true : false) : false;
type Check<T extends true> = T;
export type ResponseSchemaChecks = [
  Check<Describes<z.output<typeof claimedJob>, ClaimedJob>>,
  Check<Describes<z.output<typeof jobDetail>, ReturnType<typeof presentJobDetail>>>,
  Check<Describes<z.output<typeof statusAnswer>, StatusAnswer>>,
  Check<Describes<z.output<typeof verifyAnswer>, Awaited<ReturnType<typeof verifyJob>>>>,
  Check<Describes<z.output<typeof gitToken>, Omit<Awaited<ReturnType<typeof issueGitToken>>, 'permissions'>>>,
  Check<Describes<z.output<typeof ideaResultAnswer>, Awaited<ReturnType<typeof storeIdeaResult>>>>,
  Check<Describes<z.output<typeof createdToken>, CreatedToken>>,
  Check<Describes<z.output<typeof product>, ProductView>>,
  Check<Describes<z.output<typeof priceTable>, Awaited<ReturnType<typeof getPrices>>>>,
  Check<Describes<z.output<typeof usageReportAnswer>, UsageReport>>,
  Check<Describes<z.output<typeof pbiBudgetAnswer>, Awaited<ReturnType<typeof setPbiBudget>>>>,
  Check<Describes<z.output<typeof importedBacklog>, ImportedBacklog>>,
  Check<Describes<z.output<typeof idea>, IdeaView>>,
  Check<Describes<z.output<typeof enqueuedJobs>['jobs'][number], EnqueuedJob>>,
  Check<Describes<z.output<typeof pbiView>, PbiView>>,
  Check<Describes<z.output<typeof reconcileSummary>, ReconcileSummary>>,
];
// The operator lists (src/handlers/admin-lists.ts): what the console and the CLI show.
const jobCounts = z
  .object(Object.fromEntries(Object.values(JobStatus).map((s) => [s.toLowerCase(), z.number().int()])) as Record<Lowercase<JobStatus>, z.ZodNumber>)
  .describe('jobs by status; every status is present');

export const productPbis = z.object({
  product_id: z.string(),
  pbis: z.array(
    z.object({
      id: z.string(),
      code: z.string().nullable(),
      title: z.string(),
      stories: z.number().int(),
      tasks_total: z.number().int(),
      tasks_done: z.number().int().describe("tasks whose newest job is done (the story check's rule)"),
      jobs: jobCounts,
      cascade: z
        .object({ id: z.string(), status: lowerEnum(CascadeStatus), open: z.boolean().describe('true until the PBI is reopened'), created_at: timestamp })
        .nullable()
        .describe("the PBI's newest fail-cascade"),
      usage: usageTotals,
    }),
  ),
});

export const jobList = z.object({
  jobs: z.array(
    z.object({
      id: z.string(),
      kind: lowerEnum(JobKind),
      status: jobStatus,
      priority: z.number().int(),
      user: z.string(),
      product: z.object({ id: z.string(), name: z.string(), repo: z.string() }),
      pbi: z.object({ id: z.string(), code: z.string().nullable(), title: z.string() }).nullable(),
      story: z.object({ id: z.string(), code: z.string().nullable(), title: z.string(), branch: z.string() }).nullable(),
      task: z.object({ id: z.string(), title: z.string() }).nullable(),
      idea: z.object({ id: z.string(), title: z.string() }).nullable(),
      branch: z.string().nullable(),
      pr_url: z.string().nullable(),
      verify_result: verifyResult.nullable(),
      summary: z.string().nullable(),
      error: z.string().nullable(),
      usage: jobUsage,
      created_at: timestamp,
      claimed_at: nullableTimestamp,
      started_at: nullableTimestamp,
      finished_at: nullableTimestamp,
    }),
  ).describe('newest first'),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next (older) page; null on the last page'),
});

export const operatorJob = jobDetail.extend({ user: z.string(), usage: jobUsage }).meta({ id: 'OperatorJob' });

export const tokenList = z.object({
  tokens: z.array(
    z.object({
      token_id: z.string(),
      user: z.string(),
      prefix: z.string().describe('the first characters of the token, to recognise it'),
      name: z.string().nullable(),
      admin: z.boolean(),
      created_at: timestamp,
      last_used_at: nullableTimestamp,
      revoked_at: nullableTimestamp,
    }),
  ),
});

export type OperatorListSchemaChecks = [
  Check<Describes<z.output<typeof productPbis>['pbis'][number], Awaited<ReturnType<typeof listProductPbis>>['pbis'][number]>>,
  Check<Describes<z.output<typeof jobList>['jobs'][number], Awaited<ReturnType<typeof listJobs>>['jobs'][number]>>,
  Check<Describes<z.output<typeof operatorJob>, OperatorJob>>,
  Check<Describes<z.output<typeof tokenList>['tokens'][number], Awaited<ReturnType<typeof listTokens>>[number]>>,
];
