// The app's way into GitHub: the port (port.ts) as the app (JWT) or as an
// installation, backed by Probot's Octokit (so GHE_HOST, retries and throttling
// apply), with call metrics. Octokit itself stays inside src/services/github/.
import type { Probot, ProbotOctokit } from 'probot';
import type { Metrics } from '../../metrics.ts';
import { DomainError } from '../errors.ts';
import { octokitAppGitHub, octokitInstallationGitHub } from './octokit-port.ts';
import type { AppGitHub, InstallationGitHub } from './port.ts';

export type Octokit = ProbotOctokit;

export interface GitHubAccess {
  /** authenticated as the app (JWT): installations and app-level endpoints */
  app(): Promise<AppGitHub>;
  /** authenticated as an installation: everything on its repositories */
  installation(installationId: number | bigint): Promise<InstallationGitHub>;
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
      return octokitAppGitHub(instrument(await probot.auth()));
    },
    async installation(installationId) {
      return octokitInstallationGitHub(instrument(await probot.auth(Number(installationId))));
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

/**
 * True for GitHub failures worth retrying later: 5xx (the request layer answers
 * 500 for a dropped connection and for a deadline or cancellation:
 * request-timeout.ts), rate limits, and a timeout or abort that struck before
 * the request layer. An error without an HTTP status is anything else (a bug,
 * a database error: see db/unreachable.ts), never GitHub's.
 */
export function isTransientGitHubError(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return isAbortOrNetworkFailure(error);
  if (status >= 500) return true;
  if (status === 429) return true;
  if (status === 403) {
    const message = error instanceof Error ? error.message.toLowerCase() : '';
    return message.includes('rate limit');
  }
  return false;
}

/** An AbortSignal's abort or timeout, or fetch's own "fetch failed", not (yet) wrapped by @octokit/request. */
function isAbortOrNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || error.name === 'TimeoutError' || (error instanceof TypeError && error.message === 'fetch failed');
}

/** Retry-After of a GITHUB_UNAVAILABLE when GitHub did not say: a timeout, a 5xx, a dropped connection. */
export const defaultGitHubRetryAfterSeconds = 5;
/** … and when the installation is suspended or its token refused: a person has to act first. */
export const installationRetryAfterSeconds = 60;

export const githubUnavailable = (what: string, retryAfterSeconds = defaultGitHubRetryAfterSeconds) =>
  new DomainError('GITHUB_UNAVAILABLE', `GitHub did not answer while ${what}; try again shortly`, undefined, { retryAfterSeconds });

/** True for GitHub's primary or secondary rate limit (403 or 429 saying so). */
export function isRateLimited(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== 403 && status !== 429) return false;
  if (status === 429) return true;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers ?? {};
  const message = error instanceof Error ? error.message.toLowerCase() : '';
  return message.includes('rate limit') || String(headers['x-ratelimit-remaining']) === '0';
}

/** True when the error came from creating the installation's token (POST /app/installations/{id}/access_tokens). */
export function isInstallationTokenError(error: unknown): boolean {
  const url = (error as { request?: { url?: unknown } }).request?.url;
  return typeof url === 'string' && /\/app\/installations\/\d+\/access_tokens(\?|$)/.test(url);
}

/** GitHub's 404 for the resource asked about (not for the installation's token, which says the installation is gone). */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && !isInstallationTokenError(error);
}

/**
 * A failure that is GitHub's or the installation's, as an agent is told it: 503
 * GITHUB_UNAVAILABLE with a Retry-After (GitHub's own for rate limits), or 422
 * APP_NOT_INSTALLED when the installation is gone (its token cannot be had: 404).
 * `what` says what the app was doing ("checking the push of story/x").
 */
export function githubFailure(error: unknown, what: string): DomainError {
  if (error instanceof DomainError) return error;
  const status = statusOf(error);
  if (isInstallationTokenError(error) && (status === 404 || status === 422)) {
    return new DomainError('APP_NOT_INSTALLED', `the Scrum4Me app's installation is gone (GitHub refused its token while ${what}): install the app on the repository again`);
  }
  if (isRateLimited(error)) {
    const wait = Math.max(1, Math.min(retryAfterSeconds(error) ?? installationRetryAfterSeconds, 3600));
    return new DomainError('GITHUB_UNAVAILABLE', `GitHub's rate limit was reached while ${what}; try again in ${wait} s`, undefined, { retryAfterSeconds: wait });
  }
  if (status === 401 || status === 403) {
    return new DomainError(
      'GITHUB_UNAVAILABLE',
      `GitHub refused the app's installation (${status}) while ${what}: the installation may be suspended; try again later`,
      undefined,
      { retryAfterSeconds: installationRetryAfterSeconds },
    );
  }
  const reason = status === undefined || status === 500 ? (error instanceof Error ? error.message : 'no answer') : `GitHub answered ${status}`;
  return new DomainError('GITHUB_UNAVAILABLE', `GitHub did not answer while ${what} (${reason}); try again shortly`, undefined, {
    retryAfterSeconds: defaultGitHubRetryAfterSeconds,
  });
}

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
