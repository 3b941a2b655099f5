// The app's way into GitHub: app-level (JWT) and installation octokits, always
// Probot's (so GHE_HOST, retries and throttling apply), with call metrics.
import type { Probot, ProbotOctokit } from 'probot';
import type { Metrics } from '../../metrics.ts';
import { DomainError } from '../errors.ts';

export type Octokit = ProbotOctokit;

export interface GitHubAccess {
  /** authenticated as the app (JWT): installations and app-level endpoints */
  app(): Promise<Octokit>;
  /** authenticated as an installation: everything on its repositories */
  installation(installationId: number | bigint): Promise<Octokit>;
}

export function probotGitHubAccess(probot: Probot, metrics: Metrics): GitHubAccess {
  const instrumented = new WeakSet<Octokit>();
  const instrument = (octokit: Octokit): Octokit => {
    if (instrumented.has(octokit)) return octokit;
    instrumented.add(octokit);
    octokit.hook.wrap('request', async (request, options) => {
      const labels = { method: options.method, route: options.url };
      try {
        const response = await request(options);
        metrics.githubRequests.inc({ ...labels, status: response.status });
        return response;
      } catch (error) {
        metrics.githubRequests.inc({ ...labels, status: statusOf(error) ?? 'error' });
        throw error;
      }
    });
    return octokit;
  };
  return {
    async app() {
      return instrument(await probot.auth());
    },
    async installation(installationId) {
      return instrument(await probot.auth(Number(installationId)));
    },
  };
}

/** The HTTP status of an Octokit RequestError, if it is one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** True for failures worth retrying later: 5xx, timeouts, network errors, rate limits. */
export function isTransientGitHubError(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined || status >= 500) return true;
  if (status === 429) return true;
  if (status === 403) {
    const message = error instanceof Error ? error.message.toLowerCase() : '';
    return message.includes('rate limit');
  }
  return false;
}

export const githubUnavailable = (what: string) =>
  new DomainError('GITHUB_UNAVAILABLE', `GitHub did not answer while ${what}; try again shortly`);

/** Seconds GitHub asks us to wait (retry-after, or the primary rate limit's reset), if it said. */
export function retryAfterSeconds(error: unknown, now: number = Date.now()): number | null {
  const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } }).response?.headers;
  if (!headers) return null;
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.max(1, Math.ceil(reset - now / 1000));
  }
  return null;
}
