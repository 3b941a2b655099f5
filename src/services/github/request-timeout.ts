// How every GitHub request is sent (SPEC §6 "Respect GitHub's limits"):
//
// - A deadline per attempt on the wire. The timer starts when the request is
//   handed to fetch, so time spent in plugin-throttling's pacing queue (writes
//   1 s apart per installation, comments and PRs 3 s apart) or in
//   plugin-retry's back-off never counts; it covers the answer's body too
//   (the body is read inside the deadline, so a body cut off mid-way is an
//   error, never a silently empty answer).
// - An attempt that ran out of time (or was cancelled by the caller) is not
//   retried within the call: it fails at once with GitHubRequestAborted, and
//   the caller decides (an agent's call answers 503 GITHUB_UNAVAILABLE; a
//   background job is retried later by graphile-worker, which re-reads before
//   it writes again). Without this, plugin-retry took the abort for a 500 and
//   waited 1 + 4 + 9 s inside the caller's call.
// - Final answers are final: 409 (e.g. a conflict from POST /merges) and 405
//   join plugin-retry's list of statuses never retried (400, 401, 403, 404,
//   410, 422, 451), and so does 429, which plugin-throttling handles (it
//   honours retry-after; plugin-retry's 1/4/9 s back-off would not).
// - Rate limits: plugin-throttling waits and retries a rate-limited request at
//   most twice, and only when GitHub asks for at most a minute; beyond that
//   the error goes to the caller, whose background job is rescheduled at
//   GitHub's retry-after (src/services/background/tasks.ts). Probot's own
//   handlers retried forever.
// - plugin-retry re-sends reads only (GET, HEAD: 5xx, 1 + 4 + 9 s). A write that
//   failed is the caller's to retry after re-reading: its 5xx may have come after
//   the effect (a comment made twice, a second revert commit). Creating an
//   installation token is a write too, made inside whatever call needs the token.
// - `answerNow` (a per-request option) is for calls an agent is waiting on
//   (the push check of `done`, verify): no retry and no rate-limit wait, so the
//   call answers within about one deadline and says when to come back.
import type { ProbotOctokit } from 'probot';

type OctokitClass = typeof ProbotOctokit;
type Fetch = typeof globalThis.fetch;

/** Statuses that are GitHub's final answer for the request: never retried within the call. */
export const finalStatuses = [400, 401, 403, 404, 405, 409, 410, 422, 429, 451] as const;

/** Rate-limit waits within one call: at most this many, each at most this long. */
const maxRateLimitRetries = 2;
const maxRateLimitWaitSeconds = 60;

/** Per-request option key: set by `answerNow`, read by the rate-limit handlers. */
const noRateLimitWait = 'scrum4meNoRateLimitWait';

/** `request` options for a call someone is waiting on: one attempt, no retries, no rate-limit waits. */
export const answerNow = { retries: 0, [noRateLimitWait]: true } as const;

/**
 * One attempt that did not finish: its deadline passed, or the caller cancelled it.
 * Named AbortError on purpose: @octokit/request then passes it on as it is (with
 * status 500) instead of wrapping it in a RequestError, and plugin-retry retries
 * only RequestErrors.
 */
export class GitHubRequestAborted extends Error {
  override readonly name = 'AbortError';
  /** set to 500 by @octokit/request; isTransientGitHubError() reads it */
  status = 500;
  constructor(
    readonly timedOut: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const wrapped = Symbol('scrum4me.deadlineFetch');
type DeadlineFetch = Fetch & { [wrapped]?: true };

const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

/** A fetch whose every call must be answered, body included, within `timeoutMs`. */
export function deadlineFetch(inner: Fetch, timeoutMs: number): Fetch {
  if ((inner as DeadlineFetch)[wrapped]) return inner;
  const fetchWithDeadline: DeadlineFetch = async (input, init = {}) => {
    const deadline = new AbortController();
    const what = describe(input, init);
    const timer = setTimeout(() => deadline.abort(new GitHubRequestAborted(true, `GitHub did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      const response = await inner(input, { ...init, signal });
      const method = (init.method ?? 'GET').toUpperCase();
      const body = nullBodyStatuses.has(response.status) || method === 'HEAD' ? null : await response.arrayBuffer();
      const whole = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      Object.defineProperty(whole, 'url', { value: response.url });
      return whole;
    } catch (error) {
      if (deadline.signal.aborted) throw deadline.signal.reason as GitHubRequestAborted;
      if (init.signal?.aborted) throw new GitHubRequestAborted(false, `${what} was cancelled`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  fetchWithDeadline[wrapped] = true;
  return fetchWithDeadline;
}

function describe(input: Parameters<Fetch>[0], init: RequestInit): string {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: keep it as it is
  }
  return `${(init.method ?? 'GET').toUpperCase()} ${path}`;
}

interface RateLimitedRequest {
  method?: string;
  url?: string;
  request?: Record<string, unknown>;
}
interface OctokitWithLog {
  log: { warn(message: string): void };
}

/** plugin-throttling's handler: true retries after `retryAfter` seconds, false hands the error to the caller. */
function rateLimitHandler(kind: string) {
  return (retryAfter: number, options: RateLimitedRequest, octokit: OctokitWithLog, retryCount: number): boolean => {
    const call = `"${options.method} ${options.url}"`;
    if (options.request?.[noRateLimitWait] === true || retryCount >= maxRateLimitRetries || retryAfter > maxRateLimitWaitSeconds) {
      octokit.log.warn(`${kind} hit with ${call}: not waiting ${retryAfter} s within the call (attempt ${retryCount + 1})`);
      return false;
    }
    octokit.log.warn(`${kind} hit with ${call}, retrying in ${retryAfter} seconds.`);
    return true;
  };
}

/**
 * Probot's Octokit class with the rules above: a per-attempt deadline of
 * `timeoutMs` (its fetch wrapped, the installation-token requests included),
 * final statuses never retried, bounded rate-limit waits.
 */
export function withRequestTimeout(Octokit: OctokitClass, timeoutMs: number): OctokitClass {
  const withWriteRule = Octokit.plugin((octokit) => {
    octokit.hook.before('request', (options) => {
      // Writes are never re-sent by plugin-retry: a 5xx may come after the effect (an answer
      // lost), and the app re-reads before it writes again (SPEC §6). That includes
      // creating an installation token, which happens inside whatever call needs the token.
      if (options.method !== 'GET' && options.method !== 'HEAD') options.request = { ...options.request, retries: 0 };
    });
  }) as OctokitClass;
  return withWriteRule.defaults((options: Record<string, unknown>) => {
    const request = (options.request ?? {}) as { fetch?: Fetch };
    const retry = (options.retry ?? {}) as Record<string, unknown>;
    const throttle = (options.throttle ?? {}) as Record<string, unknown>;
    return {
      ...options,
      request: { ...request, fetch: deadlineFetch(request.fetch ?? ((input, init) => globalThis.fetch(input, init)), timeoutMs) },
      retry: { ...retry, doNotRetry: [...finalStatuses] },
      throttle: { ...throttle, onRateLimit: rateLimitHandler('Rate limit'), onSecondaryRateLimit: rateLimitHandler('Secondary rate limit') },
    };
  }) as OctokitClass;
}
