// Heals what webhooks missed: reconcileProductPullRequests sweeps a product (the
// hourly job, the console), and reconcileProductOnRequest is the same sweep for
// the admin API, GitHub's errors mapped to DomainErrors. (A cascade step re-reads
// its branch's PRs itself: cascade/undo-branch.ts, the port's readPullRequestForBranch.)
//   GET pulls?state=open (all pages)       adopts story PRs we never heard of
//   GET pulls/{n} per record not final     that the open list did not cover
//   merge-method reads for merged records  without a method (merge-method.ts)
import { withTransaction } from '../../db/transaction.ts';
import { isDatabaseUnreachable } from '../../db/unreachable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import { enqueueBackground } from '../background/enqueue.ts';
import { githubUnavailable, isTransientGitHubError, retryAfterSeconds, statusOf } from '../github/access.ts';
import { splitRepo } from '../github/branches.ts';
import { DomainError } from '../errors.ts';
import { requireGitHubAccess } from '../installations/github-access.ts';
import { snapshotOf, type GitHubPull } from './pull-state.ts';
import { recordPullRequest, type ProductRef, type RecordOutcome } from './record-pull-request.ts';
import { resolveMergeMethod } from './resolve-merge-method.ts';

type Services = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log'>;

async function record(services: Services, product: ProductRef, pull: GitHubPull): Promise<RecordOutcome> {
  return withTransaction(services.pool, (sql) => recordPullRequest(sql, product, snapshotOf(pull), { kind: 'reconcile' }));
}

/** Merged is final: a merged record with its merge commit needs only its merge method, not a read. */
const needsRead = (pr: PullRequest) => pr.state !== 'MERGED' || pr.merge_commit_sha === null;

export interface ReconcileSummary {
  product_id: string;
  repo: string;
  /** open PRs GitHub listed */
  open_on_github: number;
  /** story PRs we had no record of */
  adopted: number[];
  updated: number[];
  unchanged: number;
  merge_methods_resolved: number[];
  failed: { number: number; error: string }[];
}

/**
 * Reconciles every PR of a product that is not final, and adopts open story PRs
 * we never recorded. Throws GitHubAccessLost or NOT_FOUND before any work; a
 * failure on one PR is listed in the summary and the others go on.
 */
export async function reconcileProductPullRequests(services: Services, productId: string): Promise<ReconcileSummary> {
  const { prisma, log } = services;
  const { product, installationId } = await requireGitHubAccess(prisma, productId);
  const github = await services.github.installation(installationId);
  const repo = splitRepo(product.repo);
  const summary: ReconcileSummary = {
    product_id: product.id,
    repo: product.repo,
    open_on_github: 0,
    adopted: [],
    updated: [],
    unchanged: 0,
    merge_methods_resolved: [],
    failed: [],
  };
  const count = (number: number, outcome: RecordOutcome) => {
    if (outcome.kind === 'created') summary.adopted.push(number);
    else if (outcome.kind === 'updated') summary.updated.push(number);
    else if (outcome.kind === 'unchanged' || outcome.kind === 'stale') summary.unchanged++;
  };
  const fail = (number: number, error: unknown) => {
    // GitHub asked to wait (a rate limit), or the database is away: stop the sweep; its job
    // comes back then, or after the queue's backoff (background/task-failures.ts)
    if (retryAfterSeconds(error) !== null || isDatabaseUnreachable(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    summary.failed.push({ number, error: message.slice(0, 300) });
    log.warn({ err: error, productId, pullRequest: number }, 'reconcile: PR not reconciled');
  };

  const seen = new Set<number>();
  const open = await github.listOpenPullRequests(repo);
  summary.open_on_github = open.length;
  for (const pull of open) {
    seen.add(pull.number);
    try {
      count(pull.number, await record(services, product, pull));
    } catch (error) {
      fail(pull.number, error);
    }
  }

  const unsettled = await prisma.pullRequest.findMany({
    where: { product_id: product.id, OR: [{ state: { not: 'MERGED' } }, { merge_method: null }] },
    orderBy: { number: 'asc' },
  });
  for (const pr of unsettled) {
    try {
      if (!seen.has(pr.number) && needsRead(pr)) {
        count(pr.number, await record(services, product, await github.readPullRequest(repo, pr.number)));
      }
      const resolved = await resolveMergeMethod(services, pr.id);
      if (resolved.kind === 'resolved') summary.merge_methods_resolved.push(pr.number);
    } catch (error) {
      fail(pr.number, error);
    }
  }
  log.info({ ...summary, failed: summary.failed.length }, 'product pull requests reconciled');
  return summary;
}

/**
 * reconcileProductPullRequests for POST /api/v1/admin/products/{id}/reconcile:
 * GitHub's refusals become DomainErrors (a timeout, 5xx or rate limit:
 * GITHUB_UNAVAILABLE; 401/403/404: APP_NOT_INSTALLED); errors without a status
 * and DomainErrors pass as they are.
 */
export async function reconcileProductOnRequest(services: Services, productId: string): Promise<ReconcileSummary> {
  try {
    return await reconcileProductPullRequests(services, productId);
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || error instanceof DomainError) throw error;
    if (isTransientGitHubError(error)) throw githubUnavailable(`reconciling product ${productId}`);
    if (status === 401 || status === 403 || status === 404) {
      throw new DomainError('APP_NOT_INSTALLED', `GitHub refused the app access to the repository of product ${productId} (${status})`);
    }
    throw error;
  }
}

/** The key of a product's reconcile job: one waiting per product, however often it is queued. */
export const productReconcileJobKey = (productId: string) => `reconcile:${productId}`;

/**
 * Queues the reconcile of every product the app can still reach (the hourly
 * `reconcile_products` job): one `reconcile_product` job each, `spacingSeconds`
 * apart, so the sweep does not spend an installation's rate limit at once. A
 * product whose job is already waiting (e.g. until a rate limit's retry-after)
 * keeps its time. Returns the product ids queued.
 */
export async function queueProductReconciles(services: Pick<Services, 'prisma'>, options: { spacingSeconds: number; now?: Date }): Promise<string[]> {
  const products = await services.prisma.product.findMany({
    where: { installation_id: { not: null }, repo_removed_at: null, installation: { deleted_at: null, suspended_at: null } },
    select: { id: true },
    orderBy: { created_at: 'asc' },
  });
  const start = (options.now ?? new Date()).getTime();
  for (const [i, { id }] of products.entries()) {
    await enqueueBackground(services.prisma, 'reconcile_product', { product_id: id }, {
      jobKey: productReconcileJobKey(id),
      jobKeyMode: 'preserve_run_at',
      runAt: new Date(start + i * options.spacingSeconds * 1000),
      maxAttempts: 5,
    });
  }
  return products.map((p) => p.id);
}
